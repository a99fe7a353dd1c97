import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestExecutionListener,
  GraphQLRequestListener,
  GraphQLServerListener,
} from '@apollo/server';

type Listener = GraphQLRequestListener<BaseContext>;
type EndHook = (...args: never[]) => unknown;

/** Request hooks that return nothing: run one after the other. */
const SEQUENTIAL = [
  'didResolveSource',
  'didResolveOperation',
  'didEncounterErrors',
  'didEncounterSubsequentErrors',
  'willSendResponse',
  'willSendSubsequentPayload',
] as const;

/** Request hooks that return an optional end hook. */
const WITH_END = ['parsingDidStart', 'validationDidStart'] as const;

function sequential(listeners: readonly Listener[], hook: (typeof SEQUENTIAL)[number]) {
  const fns = listeners.filter((l) => l[hook]);
  if (fns.length === 0) return undefined;
  return async (rc: never): Promise<void> => {
    for (const l of fns) await (l[hook] as (rc: never) => Promise<void>)(rc);
  };
}

function withEnd(listeners: readonly Listener[], hook: (typeof WITH_END)[number]) {
  const fns = listeners.filter((l) => l[hook]);
  if (fns.length === 0) return undefined;
  return async (rc: never) => {
    const ends: EndHook[] = [];
    for (const l of fns) {
      const end = await (l[hook] as (rc: never) => Promise<EndHook | void>)(rc);
      if (end) ends.push(end);
    }
    if (ends.length === 0) return undefined;
    return async (...args: never[]) => {
      for (const end of ends.reverse()) await end(...args);
    };
  };
}

function execution(listeners: readonly Listener[]) {
  const fns = listeners.filter((l) => l.executionDidStart);
  if (fns.length === 0) return undefined;
  return async (rc: never): Promise<GraphQLRequestExecutionListener<BaseContext> | void> => {
    const started: GraphQLRequestExecutionListener<BaseContext>[] = [];
    for (const l of fns) {
      const e = await (
        l.executionDidStart as (
          rc: never,
        ) => Promise<GraphQLRequestExecutionListener<BaseContext> | void>
      )(rc);
      if (e) started.push(e);
    }
    if (started.length === 0) return undefined;
    const combined: GraphQLRequestExecutionListener<BaseContext> = {};
    const ends = started.filter((e) => e.executionDidEnd);
    if (ends.length > 0) {
      combined.executionDidEnd = async (error) => {
        for (const e of ends) await e.executionDidEnd!(error);
      };
    }
    // Apollo instruments every resolver when any listener has willResolveField: only define it
    // when one of ours does.
    const fields = started.filter((e) => e.willResolveField);
    if (fields.length > 0) {
      combined.willResolveField = (field) => {
        const done = fields
          .map((e) => e.willResolveField!(field))
          .filter((d) => typeof d === 'function');
        return done.length === 0
          ? undefined
          : (error, result) => done.forEach((d) => d(error, result));
      };
    }
    return combined;
  };
}

/**
 * Runs several plugins as one. Apollo Server dispatches every hook to every plugin's listener
 * (a `Promise.all` per hook per request); one combined listener dispatches to the few that
 * define the hook, in order. In order is also the point for `didResolveOperation`: a request
 * refused by an earlier check (limits, authorization) never reaches a later one (the rate
 * limiter, so a refused operation is not charged).
 */
export function composePlugins(
  plugins: readonly ApolloServerPlugin<BaseContext>[],
): ApolloServerPlugin<BaseContext> {
  const withRequest = plugins.filter((p) => p.requestDidStart);
  const withServer = plugins.filter((p) => p.serverWillStart);
  const composed: ApolloServerPlugin<BaseContext> = {
    async requestDidStart(rc) {
      const listeners: Listener[] = [];
      for (const p of withRequest) {
        const l = await p.requestDidStart!(rc);
        if (l) listeners.push(l);
      }
      const out: Listener = {};
      for (const hook of SEQUENTIAL) {
        const fn = sequential(listeners, hook);
        if (fn) (out as Record<string, unknown>)[hook] = fn;
      }
      for (const hook of WITH_END) {
        const fn = withEnd(listeners, hook);
        if (fn) (out as Record<string, unknown>)[hook] = fn;
      }
      const exec = execution(listeners);
      if (exec) out.executionDidStart = exec;
      const responders = listeners.filter((l) => l.responseForOperation);
      if (responders.length > 0) {
        out.responseForOperation = async (rc2) => {
          for (const l of responders) {
            const r = await l.responseForOperation!(rc2);
            if (r !== null && r !== undefined) return r;
          }
          return null;
        };
      }
      return out;
    },
  };
  if (withServer.length > 0) {
    composed.serverWillStart = async (service) => {
      const started: GraphQLServerListener[] = [];
      for (const p of withServer) {
        const l = await p.serverWillStart!(service);
        if (l) started.push(l);
      }
      const out: GraphQLServerListener = {};
      const schema = started.filter((l) => l.schemaDidLoadOrUpdate);
      if (schema.length > 0)
        out.schemaDidLoadOrUpdate = (s) => schema.forEach((l) => l.schemaDidLoadOrUpdate!(s));
      const drain = started.filter((l) => l.drainServer);
      if (drain.length > 0)
        out.drainServer = async () => {
          for (const l of drain) await l.drainServer!();
        };
      const stop = started.filter((l) => l.serverWillStop);
      if (stop.length > 0)
        out.serverWillStop = async () => {
          for (const l of stop) await l.serverWillStop!();
        };
      return out;
    };
  }
  for (const hook of [
    'contextCreationDidFail',
    'invalidRequestWasReceived',
    'unexpectedErrorProcessingRequest',
    'startupDidFail',
  ] as const) {
    const fns = plugins.filter((p) => p[hook]);
    if (fns.length > 0) {
      (composed as Record<string, unknown>)[hook] = async (arg: never) => {
        for (const p of fns) await (p[hook] as (a: never) => Promise<void>)(arg);
      };
    }
  }
  return composed;
}
