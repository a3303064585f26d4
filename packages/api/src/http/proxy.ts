import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Which reverse proxies in front of Portal are believed (PORTAL_TRUST_PROXY):
 * none; a fixed number of hops, whatever their addresses; or every proxy whose
 * address is in one of a list of networks.
 */
export type TrustProxy =
  { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'networks'; networks: BlockList; text: string };

export const TRUST_NONE: TrustProxy = { kind: 'off' };

/**
 * PORTAL_TRUST_PROXY: empty, `false` or `0` → off; a whole number N → N hops;
 * `true` → 1 hop (what the old boolean meant: one proxy in front); otherwise a
 * comma-separated list of addresses or CIDR networks, IPv4 or IPv6. Throws on
 * anything else, so a typo stops the server at start instead of trusting nothing
 * (or everything) silently.
 */
export function parseTrustProxy(value: string): TrustProxy {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return TRUST_NONE;
  if (text === 'true') return { kind: 'hops', hops: 1 };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 32) throw new Error(`PORTAL_TRUST_PROXY: ${hops} hops is not a plausible proxy chain`);
    return { kind: 'hops', hops };
  }
  const networks = new BlockList();
  for (const item of text.split(',').map((part) => part.trim())) {
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || extra !== undefined || !(length >= 0 && length <= bits)) {
      throw new Error(`PORTAL_TRUST_PROXY: "${item}" is not an address or a CIDR network (e.g. 10.0.0.0/8, fd00::/8)`);
    }
    networks.addSubnet(address, length, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { kind: 'networks', networks, text };
}

/** What the request says about its client once the trusted proxies are peeled off. */
export interface Peer {
  /** The client's address: the socket's, or the one the outermost trusted proxy reported. */
  ip: string;
  /** Served over https: TLS on our socket, or X-Forwarded-Proto from a trusted proxy. */
  https: boolean;
  /** The host the client asked for: X-Forwarded-Host from a trusted proxy, else the Host header. */
  host: string;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** `::ffff:1.2.3.4` is 1.2.3.4; `[::1]:80` and `1.2.3.4:80` (some proxies add the port) lose it. */
export function normalizeAddress(raw: string): string {
  let address = raw.trim();
  if (address.startsWith('[')) address = address.slice(1, address.indexOf(']') >>> 0);
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  return MAPPED_V4.exec(address)?.[1] ?? address;
}

function trusted(trust: Extract<TrustProxy, { kind: 'networks' }>, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trust.networks.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Every value of a header that may be repeated and comma-separated, in order. */
function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The entry `depth` places from the right (1 = last), or the leftmost when the list is shorter. */
function fromRight(list: string[], depth: number): string | undefined {
  return list.length === 0 ? undefined : list[Math.max(0, list.length - depth)];
}

/**
 * The client behind `depth` trusted proxies. Each proxy appends the address it
 * received the request from to X-Forwarded-For, so the client is the entry
 * `depth` from the right; everything left of it came from the client and can say
 * anything. X-Forwarded-Proto and X-Forwarded-Host are read the same way: the
 * value at that depth is what the outermost trusted proxy (the one the client
 * reached) wrote; a proxy that sets the header instead of appending leaves one
 * value, which is then taken. With no trusted proxy, no header is read.
 */
export function peerOf(req: IncomingMessage, trust: TrustProxy): Peer {
  // Asked several times a request (headers, client IP, Origin): worked out once.
  let peer = peers.get(req);
  if (!peer) peers.set(req, (peer = readPeer(req, trust)));
  return peer;
}

/** Requests live on one trust setting (the server's): the cache needs no key for it. */
const peers = new WeakMap<IncomingMessage, Peer>();

function readPeer(req: IncomingMessage, trust: TrustProxy): Peer {
  const socketIp = normalizeAddress(req.socket.remoteAddress ?? '') || 'unknown';
  const tls = Boolean((req.socket as TLSSocket).encrypted);
  const ownHost = req.headers.host ?? '';
  if (trust.kind === 'off') return { ip: socketIp, https: tls, host: ownHost };

  const chain = listOf(req.headers['x-forwarded-for']).map(normalizeAddress);
  let depth: number;
  let ip: string;
  if (trust.kind === 'hops') {
    depth = trust.hops;
    // Fewer entries than hops: the furthest address known (as the chain could not be longer).
    ip = fromRight(chain, depth) ?? socketIp;
  } else {
    // Walk from our socket towards the client while the address that handed the request over is a trusted proxy.
    depth = 0;
    ip = socketIp;
    while (trusted(trust, ip) && depth < chain.length) {
      ip = chain[chain.length - 1 - depth]!;
      depth++;
    }
    if (depth === 0 && trusted(trust, socketIp)) depth = 1; // a trusted proxy that sent no X-Forwarded-For
  }
  if (depth === 0) return { ip: socketIp, https: tls, host: ownHost };
  // Only a proxy writes here; anything else (a client's garbage) must not become a rate-limit key.
  if (isIP(ip) === 0) ip = socketIp;
  const proto = fromRight(listOf(req.headers['x-forwarded-proto']), depth)?.toLowerCase();
  const host = fromRight(listOf(req.headers['x-forwarded-host']), depth);
  return { ip, https: tls || proto === 'https', host: host ?? ownHost };
}
