import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, parseTrustProxy, peerOf, type TrustProxy } from '../src/http/proxy.ts';

/** The parts of a request peerOf reads: its headers and the address of the socket it came on. */
function from(remoteAddress: string, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { headers: { host: 'portal.internal:3000', ...headers }, socket: { remoteAddress } } as never;
}

describe('PORTAL_TRUST_PROXY', () => {
  it('reads off, hop counts, `true` as one hop, and CIDR lists of both families', () => {
    for (const off of ['', 'false', '0', ' FALSE ']) expect(parseTrustProxy(off)).toEqual({ kind: 'off' });
    expect(parseTrustProxy('true')).toEqual({ kind: 'hops', hops: 1 });
    expect(parseTrustProxy('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(parseTrustProxy('3')).toEqual({ kind: 'hops', hops: 3 });
    const list = parseTrustProxy('10.0.0.0/8, 192.168.1.7, fd00::/8, ::1');
    expect(list.kind).toBe('networks');
    const networks = (list as Extract<TrustProxy, { kind: 'networks' }>).networks;
    expect(networks.check('10.200.3.4', 'ipv4')).toBe(true);
    expect(networks.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(networks.check('192.168.1.7', 'ipv4')).toBe(true);
    expect(networks.check('192.168.1.8', 'ipv4')).toBe(false);
    expect(networks.check('fd12::5', 'ipv6')).toBe(true);
    expect(networks.check('::1', 'ipv6')).toBe(true);
    expect(networks.check('2001:db8::1', 'ipv6')).toBe(false);
  });

  it('refuses anything else at start instead of guessing', () => {
    for (const bad of [
      'yes',
      '10.0.0.0/33',
      '10.0.0/8',
      'fd00::/129',
      '10.0.0.0/8/1',
      'proxy.internal',
      '1,2',
      '-1',
      '99',
    ])
      expect(() => parseTrustProxy(bad), bad).toThrow(/PORTAL_TRUST_PROXY/);
  });

  it('normalizes the address forms proxies and sockets use', () => {
    expect(normalizeAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeAddress(' 203.0.113.9:51234 ')).toBe('203.0.113.9');
    expect(normalizeAddress('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(normalizeAddress('2001:db8::7')).toBe('2001:db8::7');
  });
});

describe('the client behind trusted proxies', () => {
  const forwarded = {
    'x-forwarded-for': '198.51.100.66, 203.0.113.9',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'portal.example',
  };

  it('believes nothing when off', () => {
    expect(peerOf(from('::ffff:10.0.0.2', forwarded), parseTrustProxy(''))).toEqual({
      ip: '10.0.0.2',
      https: false,
      host: 'portal.internal:3000',
    });
  });

  it('with N hops takes the N-th X-Forwarded-For entry from the right, and Proto/Host at the same depth', () => {
    expect(peerOf(from('10.0.0.2', forwarded), parseTrustProxy('1'))).toEqual({
      ip: '203.0.113.9',
      https: true,
      host: 'portal.example',
    });
    // Two proxies: each appended what it saw; the outer one spoke to the client.
    const chain = {
      'x-forwarded-for': '6.6.6.6, 198.51.100.66, 10.0.0.9',
      'x-forwarded-proto': 'http, https, http',
      'x-forwarded-host': 'evil.example, portal.example, portal.internal',
    };
    expect(peerOf(from('10.0.0.2', chain), parseTrustProxy('2'))).toEqual({
      ip: '198.51.100.66',
      https: true,
      host: 'portal.example',
    });
    // A proxy that sets Proto/Host instead of appending leaves one value: that one.
    expect(peerOf(from('10.0.0.2', { ...chain, 'x-forwarded-proto': 'https' }), parseTrustProxy('2')).https).toBe(true);
    // Repeated header lines count as one list.
    expect(peerOf(from('10.0.0.2', { 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] }), parseTrustProxy('1')).ip).toBe(
      '2.2.2.2',
    );
  });

  it('never lets a client pick its address by writing the header itself', () => {
    const spoofed = { 'x-forwarded-for': '127.0.0.1, 1.2.3.4, 203.0.113.9' };
    expect(peerOf(from('10.0.0.2', spoofed), parseTrustProxy('1')).ip).toBe('203.0.113.9');
    expect(peerOf(from('10.0.0.2', spoofed), parseTrustProxy('10.0.0.0/8')).ip).toBe('203.0.113.9');
    // Garbage where a proxy's entry should be is no key: the socket's address is.
    expect(peerOf(from('10.0.0.2', { 'x-forwarded-for': 'not-an-ip' }), parseTrustProxy('1')).ip).toBe('10.0.0.2');
  });

  it('with a CIDR list walks X-Forwarded-For from the right past trusted proxies, IPv4 and IPv6', () => {
    const trust = parseTrustProxy('10.0.0.0/8, fd00::/8');
    const chain = {
      'x-forwarded-for': '6.6.6.6, 2001:db8::42, fd00::1, 10.0.0.9',
      'x-forwarded-proto': 'http, https, http, http',
      'x-forwarded-host': 'evil.example, portal.example, a, b',
    };
    // Socket 10.0.0.2 (trusted) → 10.0.0.9 (trusted) → fd00::1 (trusted) → 2001:db8::42: the client, three hops out.
    expect(peerOf(from('10.0.0.2', chain), trust)).toEqual({
      ip: '2001:db8::42',
      https: true,
      host: 'portal.example',
    });
    // A request straight from an untrusted address: none of its headers count.
    expect(peerOf(from('198.51.100.1', chain), trust)).toEqual({
      ip: '198.51.100.1',
      https: false,
      host: 'portal.internal:3000',
    });
    // A trusted proxy that sent no X-Forwarded-For: still its Proto.
    expect(peerOf(from('::ffff:10.1.1.1', { 'x-forwarded-proto': 'https' }), trust)).toEqual({
      ip: '10.1.1.1',
      https: true,
      host: 'portal.internal:3000',
    });
  });
});
