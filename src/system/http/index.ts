export * from './admin-server.ts';
export { assertSafeBind } from './bind-policy.ts';
export { HostGuard, isLoopback, isWildcard } from './host-guard.ts';
export { API_ROUTES, PROBE_ROUTES } from './routes/index.ts';
export type { RoutePlugin } from './routes/index.ts';
export type { RouteContext, RouteSettings } from './route-context.ts';
