/**
 * The text form of IP addresses, in one place for every package that prints
 * or compares them (results, IPAM, `ip` output). Cheap to import.
 */

/** 4 or 6, by the one character that tells them apart in text. */
export function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

/**
 * Eight 16-bit groups as IPv6 text the way Go's net.IP.String() and RFC 5952
 * write it: lower-case hex without leading zeros, the longest run of two or
 * more zero groups as "::" (the first such run on a tie).
 */
export function formatIPv6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: readonly number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** A 128-bit address value as IPv6 text (see formatIPv6Groups). */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  return formatIPv6Groups(groups);
}
