import { pickLang } from '../../domain/lang';

describe('pickLang (the portal and the viewer choose a language the same way)', () => {
  it('takes the requested language first, then the first supported one the browser prefers', () => {
    expect(pickLang('ko', ['en-US'])).toBe('ko');
    expect(pickLang('EN', ['ko-KR'])).toBe('en');
    expect(pickLang(undefined, ['fr-FR', 'ko-KR', 'en'])).toBe('ko');
    expect(pickLang(null, ['de', 'en-GB', 'ko'])).toBe('en');
  });

  it('ignores a requested language it does not have and falls back to English', () => {
    expect(pickLang('fr', ['ko'])).toBe('ko');
    expect(pickLang('fr', ['de', 'ja-JP'])).toBe('en');
    expect(pickLang('', [])).toBe('en');
  });
});
