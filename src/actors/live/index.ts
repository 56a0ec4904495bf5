export { LiveLoader } from './live-loader.ts';
export type { LiveLoaderMessage } from './live-loader.ts';
export { DepthLoader } from './depth-loader.ts';
export type { DepthLoaderMessage, DepthLoaderOptions } from './depth-loader.ts';
export { liveStreamsFor } from './stream-hub.ts';
export type { LiveStreamEvents, LiveStreams, LiveSubscription } from './live-streams.ts';
export type { OrderBookView } from './order-book.ts';
