import { z } from 'zod';

/** `GET /events`: every workflow's events, or one workflow's. */
export const EventsQuery = z.object({
  queue_id: z.string().min(1).max(200).optional().describe('only the events of this workflow'),
});
export type EventsQuery = z.infer<typeof EventsQuery>;
