/** What of a case's context a reader is given (issue 9, item 4: nothing that could name the case). */
import fc from 'fast-check';
import { readerContext, type ContextValues } from '../../domain/case';

describe('readerContext', () => {
  test('keeps measurements, drops identifier names and text holding the case id', () => {
    const context: ContextValues = { bcvaOD: 0.8, sex: 'F', diabetesFlag: true, iopOS: null, id: 'x', visitId: 'V1', studyUid: '1.2', mrn: '9', accessionNumber: 'A', participantNo: '7', remark: 'copied from k-17 sheet' };
    expect(readerContext(context, 'K-17')).toEqual({ bcvaOD: 0.8, sex: 'F', diabetesFlag: true, iopOS: null });
  });

  test('names that merely end in an identifier-like syllable stay (they are measurements)', () => {
    expect(readerContext({ fluid: 'none', video: 'n/a', iopOD: 15 }, 'C1')).toEqual({ fluid: 'none', video: 'n/a', iopOD: 15 });
  });

  test('nothing left, or nothing given: undefined', () => {
    expect(readerContext({ visitId: 'V1' }, 'C1')).toBeUndefined();
    expect(readerContext(undefined, 'C1')).toBeUndefined();
  });

  test('property: no value the reader gets contains the case id, and every kept entry is unchanged', () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/), fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,10}$/), value), fc.boolean(), (caseId, context, plant) => {
        const given: ContextValues = plant ? { ...context, planted: `x${caseId.toUpperCase()}y` } : context;
        const out = readerContext(given, caseId) ?? {};
        for (const [k, v] of Object.entries(out)) {
          expect(given[k]).toBe(v);
          if (typeof v === 'string') expect(v.toLowerCase()).not.toContain(caseId.toLowerCase());
        }
        expect(out).not.toHaveProperty('planted');
      }),
    );
  });
});
