/**
 * YAML shapes that attack a parser's consumers, for the loaders' tests: an alias bomb ("billion
 * laughs") grows exponentially when its aliases are expanded.
 */

/**
 * Map lines `a0:` ... `aN:` (at `indent`): a0 a list of nine strings, each next level a list of
 * nine aliases of the one before, so level k stands for about 10 * 9^k values. With the document's
 * own values, the first `*a4` (in level 5) is where expansion crosses 100,000.
 */
export function aliasBomb(levels: number, indent = ''): string {
  let text = `${indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i <= levels; i++) text += `${indent}a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  return text;
}
