import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Address ranges a deployment may open to outbound calls (WEBHOOK_ALLOW_PRIVATE_TARGETS); all others below stay closed. */
export type AllowedPrivateRange = 'loopback' | 'private';

type Range = AllowedPrivateRange | 'link-local' | 'multicast' | 'unspecified' | 'reserved';

/** net.BlockList also matches IPv4-mapped IPv6 (`::ffff:10.0.0.1`) against the IPv4 ranges. */
function blockList(v4: string[], v6: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of v4) list.addSubnet(cidr.split('/')[0], Number(cidr.split('/')[1]), 'ipv4');
  for (const cidr of v6) list.addSubnet(cidr.split('/')[0], Number(cidr.split('/')[1]), 'ipv6');
  return list;
}

/** Where a call must not go unless allowed: the server's own network, its cloud's metadata service (169.254.169.254, link-local) and addresses that are no host. */
const RANGES: ReadonlyArray<[Range, BlockList]> = [
  ['loopback', blockList(['127.0.0.0/8'], ['::1/128'])],
  // RFC 1918, CGNAT (RFC 6598) and unique-local IPv6 (which holds AWS's fd00:ec2::254 metadata address).
  ['private', blockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7'])],
  ['link-local', blockList(['169.254.0.0/16'], ['fe80::/10'])],
  ['multicast', blockList(['224.0.0.0/4'], ['ff00::/8'])],
  ['unspecified', blockList(['0.0.0.0/8'], ['::/128'])],
  ['reserved', blockList(['240.0.0.0/4', '192.0.0.0/24', '198.18.0.0/15'], ['64:ff9b::/96', '2002::/16', '100::/64'])],
];

/** The closed range an address lies in, or null when it is a public address (or its range is allowed). */
function closedRange(address: string, allowed: readonly AllowedPrivateRange[]): Range | null {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  for (const [range, list] of RANGES) if (list.check(address, family)) return (allowed as string[]).includes(range) ? null : range;
  return null;
}

export class TargetRefused extends Error {}

/** A URL that passed the guard and the address the call must connect to (never resolved again). */
export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * The one SSRF guard for calls the CRM makes to URLs users give (webhooks, CALL_WEBHOOK): http(s)
 * only, and the host resolved here and refused when ANY of its addresses is in a closed range, so
 * a name with one public and one private address cannot be used either. The caller connects to
 * the returned address (see http-post), so a DNS answer that changes afterwards (rebinding) has no say.
 */
export async function checkTarget(raw: string, allowed: readonly AllowedPrivateRange[]): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('must be an http(s) URL');
  if (url.username || url.password) throw new TargetRefused('must not carry credentials');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new TargetRefused(`host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new TargetRefused(`host ${host} does not resolve`);
  for (const { address } of addresses) {
    const range = closedRange(address, allowed);
    if (range) throw new TargetRefused(`must not point to a ${range} address (${host} is ${address})`);
  }
  return { url, address: addresses[0].address, family: addresses[0].family as 4 | 6 };
}
