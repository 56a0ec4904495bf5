export * from './logger.ts';
export * from './metrics.ts';
export * from './system-clock.ts';
export * from './consumer-group-label.ts';
export * from './status-block.ts';
export * from './human-log-line.ts';
