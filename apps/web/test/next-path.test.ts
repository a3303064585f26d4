import { describe, expect, it } from 'vitest';
import { safeNextPath } from '../lib/next-path.ts';

describe('where the login page sends people afterwards', () => {
  it('keeps paths on this site', () => {
    expect(safeNextPath('/chat/abc?x=1#m')).toBe('/chat/abc?x=1#m');
    expect(safeNextPath('/moderation')).toBe('/moderation');
  });

  it('sends everything else home: no open redirect', () => {
    for (const evil of [
      undefined,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '\\/evil.example',
      'javascript:alert(1)',
    ]) {
      expect(safeNextPath(evil), JSON.stringify(evil)).toBe('/');
    }
    expect(safeNextPath(['//evil.example', '/ok'])).toBe('/');
  });
});
