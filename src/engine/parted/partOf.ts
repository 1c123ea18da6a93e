import { FlashsaleError } from '../../domain/errors.ts';
import { partOfHold, partOfUser } from '../../domain/parts.ts';

/** Where a split sale's buyer, hold or batch of buyers goes: `ids` are the parts' sale ids, part 0 first. */

/** The part of a split sale a buyer lands on, and its sale id. */
export function inPartOf(ids: readonly string[], userId: string): { id: string; part: number } {
  const part = partOfUser(String(userId), ids.length);
  return { id: ids[part] as string, part };
}

/** The part of a split sale a hold id names; HOLD_NOT_FOUND when it names none. */
export function inPartOfHold(ids: readonly string[], holdId: string): { id: string; part: number } {
  const part = partOfHold(String(holdId), ids.length);
  if (part === null) throw new FlashsaleError('HOLD_NOT_FOUND');
  return { id: ids[part] as string, part };
}

/** Items grouped by the part their buyer lands on: [part sale id, items], parts with none left out. */
export function byPart<T>(
  ids: readonly string[],
  items: readonly T[],
  userOf: (item: T) => string,
): [string, T[]][] {
  const groups = ids.map((id): [string, T[]] => [id, []]);
  for (const item of items) groups[partOfUser(String(userOf(item)), ids.length)]?.[1].push(item);
  return groups.filter(([, some]) => some.length > 0);
}
