import { ErrorBody } from '../../../protocol/index.ts';

/** What every route may answer besides its own: `{code, message}` with the status of the error table. */
export const errorResponses = {
  default: ErrorBody.describe(
    'An error: 400 bad input (the message names the field and what is accepted), 401 missing or wrong token, 403 foreign Host or Origin, ' +
      '404 unknown, 405 wrong method (with Allow), 409 conflict or too many active workflows, 415 body not application/json, ' +
      '429 too many requests (with Retry-After), 5xx our trouble or the exchange\'s (with a request id)',
  ),
} as const;

/** The security requirement of routes behind `STREAMFORGE_API_TOKEN`. */
export const bearer = [{ bearer: [] }];
