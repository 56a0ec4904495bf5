export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly signal?: AbortSignal;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
  /**
   * The longest body read: a longer one (by `Content-Length` or as it arrives) is cut off and
   * rejects with a non-retriable `SF_ERR_EXCHANGE_RESPONSE_TOO_LARGE`. @defaultValue no bound
   */
  readonly maxBytes?: number;
}

export interface HttpBytesResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

/** Plain HTTP GET; network failures reject with a retriable `SF_ERR_EXCHANGE_UNREACHABLE`. */
export interface HttpClient {
  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** The body as bytes (archive files). */
  getBytes(url: string, options?: HttpRequestOptions): Promise<HttpBytesResponse>;
}
