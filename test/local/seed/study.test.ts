/**
 * The demo study's cases (`npm start` seeds them; README "The demo study"): 50 cases, 25 at each
 * site, fundus photos of both eyes in each, a few as DICOM and a few with OCT volumes. The whole
 * seed (uploads, registration, reading state) runs in test/browser/room.test.ts, with the fewest
 * cases per site its reading state allows (the same plan, cut short).
 */
import { CASES_PER_SITE, caseId, demoCasePlan, MIN_CASES_PER_SITE } from '../../../local/seed/study';

describe('demoCasePlan', () => {
  it("is the README's demo by default: 50 cases, 25 at SNUH and 25 at AMC, numbered from 1", () => {
    const plan = demoCasePlan();
    expect(CASES_PER_SITE).toBe(25);
    expect(plan).toHaveLength(50);
    const ids = (site: 'SNUH' | 'AMC') => plan.filter((c) => c.site === site).map((c) => c.id);
    expect(ids('SNUH')).toEqual(Array.from({ length: 25 }, (_, i) => `DEMO-S${String(i + 1).padStart(3, '0')}`));
    expect(ids('AMC')).toEqual(Array.from({ length: 25 }, (_, i) => `DEMO-A${String(i + 1).padStart(3, '0')}`));
  });

  it('gives every case both eyes\' fundus photos, case 7 of each site as DICOM, OCT volumes of both eyes in cases 5, 15 and 25', () => {
    const plan = demoCasePlan();
    for (const c of plan) {
      const dicom = c.n === 7;
      const oct = [5, 15, 25].includes(c.n);
      expect({ id: c.id, keys: c.files.map((f) => f.key) }).toEqual({
        id: c.id,
        keys: [`fundus/OD.${dicom ? 'dcm' : 'png'}`, ...(oct ? ['oct/OD.dcm'] : []), `fundus/OS.${dicom ? 'dcm' : 'png'}`, ...(oct ? ['oct/OS.dcm'] : [])],
      });
      expect(c.files.map((f) => `${f.exam}:${f.eye}`)).toEqual(['fundus:OD', ...(oct ? ['oct:OD'] : []), 'fundus:OS', ...(oct ? ['oct:OS'] : [])]);
    }
    expect(plan.filter((c) => c.files.some((f) => f.exam === 'oct'))).toHaveLength(6);
  });

  it('cut to fewer cases per site is the start of each site\'s demo cases', () => {
    const full = demoCasePlan();
    const small = demoCasePlan(MIN_CASES_PER_SITE);
    expect(small).toEqual(full.filter((c) => c.n <= MIN_CASES_PER_SITE));
    // The reading state's cases (seedStudy) are all there.
    for (let n = 1; n <= 8; n++) expect(small.map((c) => c.id)).toContain(caseId('SNUH', n));
    for (let n = 1; n <= 6; n++) expect(small.map((c) => c.id)).toContain(caseId('AMC', n));
  });

  it('refuses fewer cases than the reading state uses, or a fraction, naming casesPerSite', () => {
    for (const bad of [MIN_CASES_PER_SITE - 1, 0, -3, 8.5, Number.NaN]) expect(() => demoCasePlan(bad)).toThrow(new RangeError(`seed: casesPerSite must be a whole number ≥ 8 (the reading state uses SNUH cases 1–8), got ${bad}`));
  });
});
