import { z } from 'zod';
import { Candle, KlineRow } from './candle.ts';
import { Command, PingCommand, StartCommand, StopCommand } from './commands.ts';
import { DataMessage, DeadLetter, EndOfStream } from './data-message.ts';
import { TelemetryEvent } from './events.ts';
import { Workflow } from './workflow.ts';
import { ErrorBody, QueueListResponse } from './api.ts';
import { GraphBody } from './graph.ts';
import { GraphFeaturesMessage, GraphSnapshot, GraphSnapshotEnd } from './graph-snapshot.ts';

const schemas = {
  Command,
  StartCommand,
  StopCommand,
  PingCommand,
  TelemetryEvent,
  Candle,
  KlineRow,
  EndOfStream,
  DataMessage,
  DeadLetter,
  Workflow,
  QueueListResponse,
  ErrorBody,
  GraphSnapshot,
  GraphSnapshotEnd,
  GraphFeaturesMessage,
  GraphBody,
} as const;

/** Every wire message as JSON Schema (draft 2020-12), derived from the zod schemas. */
export function protocolJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    out[name] = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  }
  return out;
}
