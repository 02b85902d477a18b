/** An IPv4 CIDR as written: four numbers 0-255 (up to three digits each) and a prefix of up to two digits. */
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * An IPv4 CIDR's address (as a number) and prefix length, or undefined when it is not one: octets 0-255; the
 * prefix is returned as written (0-99), for the caller to bound. zod's z.cidrv4() is not used: it refuses leading
 * zeros (010.0.0.0/16, /08) that this config has always accepted.
 */
export function parseIpv4Cidr(text: string): { readonly address: number; readonly prefix: number } | undefined {
    const m = IPV4_CIDR.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { address: octets.reduce((a, o) => a * 256 + o, 0), prefix: Number(m[5]) };
}

/** Whether `address` is the network address of a /`prefix` (its host bits are 0). */
export function isNetworkAddress(address: number, prefix: number): boolean {
    return address % 2 ** (32 - prefix) === 0;
}

/** An IPv4 CIDR with its host bits 0, /0 to /32. */
export function isIpv4Cidr(text: string): boolean {
    const cidr = parseIpv4Cidr(text);
    return cidr !== undefined && cidr.prefix <= 32 && isNetworkAddress(cidr.address, cidr.prefix);
}
