/** A request id as Binance accepts it: an unsigned integer, a string of up to 36 characters, or null. */
export type RequestId = number | string | null;

/** A live request on a stream connection. */
export type WsRequest =
  | { readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE'; readonly params: readonly string[]; readonly id: RequestId }
  | { readonly method: 'LIST_SUBSCRIPTIONS'; readonly id: RequestId }
  | { readonly method: 'SET_PROPERTY'; readonly property: string; readonly value: boolean; readonly id: RequestId }
  | { readonly method: 'GET_PROPERTY'; readonly property: string; readonly id: RequestId };

/** Binance's error reply: code 0 unknown property, 1 wrong value type, 2 invalid request, 3 invalid JSON. */
export interface WsRequestError {
  readonly code: 0 | 1 | 2 | 3;
  readonly msg: string;
  readonly id: RequestId;
}

export type ParsedRequest = { readonly ok: true; readonly request: WsRequest } | { readonly ok: false; readonly error: WsRequestError };

const METHODS = 'SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY';
const MAX_ID_LENGTH = 36;

const fail = (code: WsRequestError['code'], msg: string, id: RequestId = null): ParsedRequest => ({
  ok: false,
  error: { code, msg, id },
});

function readId(value: unknown): RequestId | undefined {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one text frame sent by a client. */
export function parseWsRequest(text: string): ParsedRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return fail(3, `Invalid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(body)) return fail(2, 'Invalid request: expected a JSON object');
  const id = readId(body['id'] ?? null);
  if (id === undefined) return fail(2, 'Invalid request: request ID must be an unsigned integer');
  const method = body['method'];
  const params = body['params'];
  switch (method) {
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      if (!Array.isArray(params) || !params.every((p): p is string => typeof p === 'string')) {
        return fail(2, 'Invalid request: params must be an array of stream names', id);
      }
      return { ok: true, request: { method, params, id } };
    case 'LIST_SUBSCRIPTIONS':
      return { ok: true, request: { method, id } };
    case 'SET_PROPERTY':
    case 'GET_PROPERTY': {
      if (!Array.isArray(params) || typeof params[0] !== 'string') return fail(2, 'Invalid request: property name must be a string', id);
      const property: string = params[0];
      if (property !== 'combined') return fail(0, 'Unknown property', id);
      if (method === 'GET_PROPERTY') return { ok: true, request: { method, property, id } };
      if (typeof params[1] !== 'boolean') return fail(1, 'Invalid value type: expected Boolean', id);
      return { ok: true, request: { method, property, value: params[1], id } };
    }
    default:
      return fail(2, `Invalid request: unknown variant ${JSON.stringify(method)}, expected one of ${METHODS}`, id);
  }
}

/** `{"result": ..., "id": ...}` */
export function resultReply(result: unknown, id: RequestId): string {
  return JSON.stringify({ result, id });
}

/** `{"error": {"code", "msg"}, "id": ...}` */
export function errorReply(error: WsRequestError): string {
  return JSON.stringify({ error: { code: error.code, msg: error.msg }, id: error.id });
}
