import type { GraphQLError, ParseOptions } from 'graphql';

/**
 * Counts the lexical tokens of a GraphQL document as graphql-js's lexer does (punctuators,
 * names, numbers, strings; whitespace, commas and comments are not tokens), stopping as soon as
 * the count passes `stopAfter`. Linear, allocation-free; malformed input is counted leniently
 * (the parser reports it).
 */
export function countTokens(source: string, stopAfter = Infinity): number {
  let count = 0;
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    // whitespace, line terminators, commas, BOM
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2c || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 0x23 /* # */) {
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === 0x0a || d === 0x0d) break;
        i++;
      }
      continue;
    }
    if (++count > stopAfter) return count;
    if (c === 0x22 /* " */) {
      if (source.charCodeAt(i + 1) === 0x22 && source.charCodeAt(i + 2) === 0x22) {
        i += 3;
        while (i < n) {
          if (source.charCodeAt(i) === 0x5c && source.startsWith('"""', i + 1)) i += 4;
          else if (source.startsWith('"""', i)) {
            i += 3;
            break;
          } else i++;
        }
      } else {
        i++;
        while (i < n) {
          const d = source.charCodeAt(i);
          if (d === 0x5c) i += 2;
          else if (d === 0x22) {
            i++;
            break;
          } else if (d === 0x0a || d === 0x0d) break;
          else i++;
        }
      }
      continue;
    }
    if (isNameStart(c)) {
      i++;
      while (i < n && isNameContinue(source.charCodeAt(i))) i++;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      i++;
      while (i < n && isNumberPart(source.charCodeAt(i))) i++;
      continue;
    }
    if (c === 0x2e && source.charCodeAt(i + 1) === 0x2e && source.charCodeAt(i + 2) === 0x2e) {
      i += 3;
      continue;
    }
    // A punctuator or an invalid character: one token either way.
    i++;
  }
  return count;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNameContinue(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function isNumberPart(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
  );
}

/**
 * Parse options that make graphql-js stop parsing after `maxTokens` tokens: pass them to
 * `new ApolloServer({ parseOptions })` (or to `parse`). The parser then never builds the AST
 * of a token flood, at no cost for normal documents.
 */
export function limitsParseOptions(options: { maxTokens?: number | false } = {}): ParseOptions {
  const max = options.maxTokens ?? 10_000;
  return max === false ? {} : { maxTokens: max };
}

// graphql-js 16 spells it "more that N tokens"; accept the corrected spelling too.
const TOKEN_ERROR = /^Syntax Error: Document contains more tha[nt] \d+ tokens\. Parsing aborted\.$/;

/** True for graphql-js's "Document contains more than N tokens" syntax error. */
export function isTokenLimitSyntaxError(error: GraphQLError): boolean {
  return TOKEN_ERROR.test(error.message);
}
