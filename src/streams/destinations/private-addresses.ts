import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { InvalidInputError } from '../../domain/errors.js';

/**
 * Addresses a tenant's stream may not reach unless STREAM_PRIVATE_DESTINATIONS=allow: loopback,
 * private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast and reserved ranges. A tenant admin could otherwise make sealog connect into the
 * network it runs in (server-side request forgery).
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (an IP literal) is in a range a tenant's stream may not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4-mapped IPv6 address reaches the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped === undefined ? PRIVATE.check(address, 'ipv6') : PRIVATE.check(mapped, 'ipv4');
}

/**
 * Refuses (InvalidInputError) a host that is, or resolves to, a private address, or that does not
 * resolve. Checked when a tenant stores a stream; a name that later resolves elsewhere (DNS
 * rebinding) is not caught here: keep such deployments behind an egress proxy or firewall.
 */
export async function assertPublicHost(host: string): Promise<void> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      throw new InvalidInputError(`destination host ${host} does not resolve`);
    }
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked !== undefined) {
    throw new InvalidInputError(
      `destination host ${host} is a private or local address (${blocked}): a tenant's stream may only ` +
        'reach public addresses (the platform allows others with STREAM_PRIVATE_DESTINATIONS=allow)',
    );
  }
}
