/**
 * Which content coding to answer with, from the request's `accept-encoding` (RFC 9110 section
 * 12.5.3) and the codings a resource has. The server knows three: `br`, `gzip` (`x-gzip` is the
 * same, section 8.4.1.3) and `identity` (no coding).
 *
 * - No field: any coding would do, and identity is sent (what clients that ask for nothing,
 *   curl without --compressed among them, expect).
 * - A listed coding is acceptable unless its weight is q=0; `*` gives its weight to every
 *   coding not listed; an empty field lists none.
 * - identity is acceptable unless excluded by `identity;q=0`, or by `*;q=0` without an
 *   `identity` entry. Not listed, it ranks below every listed coding: a client that names gzip
 *   wants gzip.
 * - The highest weight wins; between equal weights the server's order of preference decides
 *   (the caller's list: a precompressed file before compressing on the fly, br before gzip,
 *   identity last).
 * - Nothing acceptable (identity excluded too): null, for a 406 (section 15.5.7).
 */

export type Coding = 'br' | 'gzip' | 'identity';

/** The weight of each coding the server knows, from one field value. */
export interface CodingWeights {
  br: number;
  gzip: number;
  identity: number;
}

/** identity's weight when the field does not list it: acceptable, below any listed coding. */
const UNLISTED_IDENTITY = 0.0001;

const NO_FIELD: Readonly<CodingWeights> = { br: 0, gzip: 0, identity: 1 };

/** Parses one `accept-encoding` value into the weights of br, gzip and identity. */
export function parseAcceptEncoding(field: string): CodingWeights {
  let br = -1;
  let gzip = -1;
  let identity = -1;
  let star = -1;
  for (const member of field.split(',')) {
    const parts = member.split(';');
    const name = parts[0]!.trim().toLowerCase();
    if (name.length === 0) continue;
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim();
      if (param.length < 2 || (param.charCodeAt(0) | 0x20) !== 0x71 /* q */ || param.charCodeAt(1) !== 0x3d /* = */) continue;
      q = weightOf(param.slice(2).trim());
    }
    if (Number.isNaN(q)) continue; // a malformed weight: the member is ignored rather than guessed at
    // The first member for a coding decides (a repeated one is a client's mistake).
    if (name === 'br') br = br < 0 ? q : br;
    else if (name === 'gzip' || name === 'x-gzip') gzip = gzip < 0 ? q : gzip;
    else if (name === 'identity') identity = identity < 0 ? q : identity;
    else if (name === '*') star = star < 0 ? q : star;
  }
  return {
    br: br >= 0 ? br : Math.max(star, 0),
    gzip: gzip >= 0 ? gzip : Math.max(star, 0),
    identity: identity >= 0 ? identity : star >= 0 ? star : UNLISTED_IDENTITY,
  };
}

/** A qvalue (`0`, `0.5`, `1.000`; section 12.4.2) as a number from 0 to 1; NaN when malformed. */
function weightOf(text: string): number {
  if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return Number.NaN;
  return Number(text);
}

/** Field value -> weights: clients send the same few values over and over. */
const parsed = new Map<string, CodingWeights>();
const MAX_PARSED = 256;

/** The weights for a request's field (undefined: no field), remembered per value. */
export function codingWeightsOf(field: string | undefined): Readonly<CodingWeights> {
  if (field === undefined) return NO_FIELD;
  let weights = parsed.get(field);
  if (weights === undefined) {
    weights = parseAcceptEncoding(field);
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(field, weights);
  }
  return weights;
}

/**
 * The coding to answer with: of `available` (the server's order of preference), the one with
 * the highest non-zero weight, the first of equals; null when none is acceptable.
 */
export function chooseCoding(weights: Readonly<CodingWeights>, available: readonly Coding[]): Coding | null {
  let best: Coding | null = null;
  let bestWeight = 0;
  for (const coding of available) {
    // Named loads rather than `weights[coding]`: a keyed load by a string variable goes megamorphic here (seen in profiles).
    const w = coding === 'identity' ? weights.identity : coding === 'br' ? weights.br : weights.gzip;
    if (w > bestWeight) {
      best = coding;
      bestWeight = w;
    }
  }
  return best;
}
