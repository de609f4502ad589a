import { groupedSecret, otpauthUri, qrModules, qrSvg } from '../../../portal/auth/otpauth';

describe('otpauthUri', () => {
  it('builds the key URI authenticator apps read, with issuer in label and parameter', () => {
    expect(otpauthUri({ issuer: 'ReadRoom (AMD-2026)', account: 'reader.kim@example.org', secret: 'jbsw y3dp ehpk 3pxp' })).toBe(
      'otpauth://totp/ReadRoom%20(AMD-2026):reader.kim%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=ReadRoom%20(AMD-2026)&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('refuses a colon in the label parts and a secret that is not base32', () => {
    expect(() => otpauthUri({ issuer: 'A:B', account: 'x', secret: 'JBSW' })).toThrow('no colon');
    expect(() => otpauthUri({ issuer: 'A', account: 'x', secret: 'JBSW1!' })).toThrow('not base32');
  });

  it('groups the secret by four for typing', () => {
    expect(groupedSecret('jbswy3dpehpk3pxp==')).toBe('JBSW Y3DP EHPK 3PXP');
  });
});

describe('QR code', () => {
  const uri = otpauthUri({ issuer: 'ReadRoom', account: 'reader1', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });

  /** A finder pattern: 7×7 dark ring, light ring, 3×3 dark centre. */
  function finderAt(m: ReturnType<typeof qrModules>, x0: number, y0: number): boolean {
    for (let y = 0; y < 7; y++) {
      for (let x = 0; x < 7; x++) {
        const ring = Math.max(Math.abs(x - 3), Math.abs(y - 3));
        if (m.get(x0 + x, y0 + y) !== (ring !== 2)) return false;
      }
    }
    return true;
  }

  it('encodes the URI as a QR symbol with finder patterns in three corners', () => {
    const m = qrModules(uri);
    expect((m.size - 17) % 4).toBe(0); // sizes are 17 + 4·version
    expect(m.size).toBeGreaterThanOrEqual(29);
    expect(finderAt(m, 0, 0)).toBe(true);
    expect(finderAt(m, m.size - 7, 0)).toBe(true);
    expect(finderAt(m, 0, m.size - 7)).toBe(true);
    expect(finderAt(m, m.size - 7, m.size - 7)).toBe(false);
  });

  it('renders an accessible SVG with a quiet zone and one square per dark module', () => {
    const m = qrModules(uri);
    let dark = 0;
    for (let y = 0; y < m.size; y++) for (let x = 0; x < m.size; x++) if (m.get(x, y)) dark++;
    const svg = qrSvg(uri, 'QR code for "ReadRoom" <enrolment>');
    expect(svg).toContain(`viewBox="0 0 ${m.size + 8} ${m.size + 8}"`);
    expect(svg).toContain('role="img" aria-label="QR code for &quot;ReadRoom&quot; &lt;enrolment&gt;"');
    expect(svg.match(/h1v1h-1z/g)).toHaveLength(dark);
    expect(svg).toContain('M4 4h1v1h-1z'); // the top-left finder's corner, offset by the quiet zone
  });
});
