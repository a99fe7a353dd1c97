import type { IncomingMessage } from 'node:http';
import { assertFunction } from '@bulwark/core';
import type { OnSecurityEvent } from '@bulwark/core';
import { createJwtAuth } from '@bulwark/jwt';
import type { JwtAuth, JwtAuthOptions } from '@bulwark/jwt';
import type { BulwarkConfig } from './config.js';
import { customAuthenticate } from './context.js';
import type { Authenticate } from './context.js';
import { assertNoReserved } from './options.js';

/** Runs a feature's constructor, naming the section in its `TypeError`s. */
export function section<T>(name: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof TypeError && !error.message.startsWith(`\`${name}`)) {
      throw new TypeError(`In \`${name}\`: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Builds the authentication of `config.auth`: JWT, custom, or none. */
export function createAuthentication(
  config: BulwarkConfig<never>,
  events: OnSecurityEvent | undefined,
): { authenticate: Authenticate; jwt: JwtAuth | undefined } {
  const auth = config.auth as unknown;
  if (auth === false) return { authenticate: async () => null, jwt: undefined };
  if (auth === null || typeof auth !== 'object' || Array.isArray(auth)) {
    throw new TypeError(
      "`auth` must be { type: 'jwt', ... }, { type: 'custom', authenticate } or false.",
    );
  }
  const type = (auth as { type?: unknown }).type;
  if (type === 'custom') {
    const { authenticate, ...rest } = auth as { type: 'custom'; authenticate: unknown };
    const extra = Object.keys(rest).filter((k) => k !== 'type');
    if (extra.length > 0) {
      throw new TypeError(
        `\`auth\` has an unknown option ${JSON.stringify(extra[0])}; known options: type, authenticate.`,
      );
    }
    assertFunction('auth.authenticate', authenticate);
    return {
      authenticate: customAuthenticate(
        authenticate as Parameters<typeof customAuthenticate>[0],
        events,
      ),
      jwt: undefined,
    };
  }
  if (type !== 'jwt') {
    throw new TypeError(
      `\`auth.type\` must be "jwt" or "custom", got ${JSON.stringify(type) ?? String(type)}.`,
    );
  }
  assertNoReserved('auth', auth);
  const { type: _type, ...options } = auth as { type: 'jwt' } & Record<string, unknown>;
  const jwt = section('auth', () =>
    createJwtAuth({ ...(options as unknown as JwtAuthOptions), onEvent: events }),
  );
  return { authenticate: (req: IncomingMessage) => jwt.authenticate(req), jwt };
}
