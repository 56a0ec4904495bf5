/** Where models live: an S3 bucket (MinIO, S3Proxy, AWS) or a directory under the data dir by default. */
export interface ObjectStore {
  readonly kind: 'filesystem' | 's3';
  /** Writes the whole object (replacing it); resolves once it is durable. */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** The whole object, or undefined when there is none under `key`. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes every object under `prefix` (nothing to delete is fine). */
  deletePrefix(prefix: string): Promise<void>;
  /** Where a key is, for people: `s3://bucket/key` or `file:///…/key`. */
  uri(key: string): string;
  close(): Promise<void>;
}
