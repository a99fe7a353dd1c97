import { BatchLimitError } from '@bulwark/core';
import { batchMessage } from './messages.js';

/**
 * Checks an HTTP request body for a batch larger than `maxBatchSize`: returns the error to
 * send (400 `BATCH_LIMIT_EXCEEDED`), or `null`. A non-array body is not a batch.
 */
export function checkBatchSize(
  body: unknown,
  maxBatchSize: number,
  exposeLimits = true,
): InstanceType<typeof BatchLimitError> | null {
  if (!Array.isArray(body) || body.length <= maxBatchSize) return null;
  return new BatchLimitError(batchMessage(body.length, maxBatchSize, exposeLimits));
}

interface MinimalRequest {
  body?: unknown;
}

interface MinimalResponse {
  status(code: number): MinimalResponse;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** Options of {@link batchLimitMiddleware}. */
export interface BatchLimitOptions {
  /** Maximum operations in one HTTP batch. */
  maxBatchSize: number;
  /** Say the size and the maximum in the message. @default true */
  exposeLimits?: boolean;
}

/**
 * Express (4/5) middleware, mounted after the JSON body parser and before Apollo's: refuses a
 * batch of more than `maxBatchSize` operations with 400 and a coded GraphQL error, before any
 * of them is parsed. Apollo Server refuses every batch unless `allowBatchedHttpRequests` is on.
 */
export function batchLimitMiddleware(options: BatchLimitOptions) {
  const { maxBatchSize, exposeLimits = true } = options;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new TypeError(
      `\`maxBatchSize\` must be a positive integer, got ${String(maxBatchSize)}.`,
    );
  }
  return (req: MinimalRequest, res: MinimalResponse, next: () => void): void => {
    const error = checkBatchSize(req.body, maxBatchSize, exposeLimits);
    if (!error) {
      next();
      return;
    }
    res.status(400);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }),
    );
  };
}
