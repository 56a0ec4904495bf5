/** Binance's error body. */
export interface BinanceErrorBody {
  readonly code: number;
  readonly msg: string;
}

/** A rejected request: HTTP status and Binance body. */
export interface BinanceFailure {
  readonly status: number;
  readonly body: BinanceErrorBody;
}

const fail = (status: number, code: number, msg: string): BinanceFailure => ({ status, body: { code, msg } });

/** The error responses the simulator can give, with Binance's codes and wording. */
export const binanceErrors = {
  unknownPath: () => fail(404, -1000, 'An unknown error occured while processing the request.'),
  internal: (status: number) => fail(status, -1001, 'Internal error; unable to process your request. Please try again.'),
  illegalChars: (param: string, legalRange: string) =>
    fail(400, -1100, `Illegal characters found in parameter '${param}'; legal range is '${legalRange}'.`),
  mandatoryMissing: (param: string) =>
    fail(400, -1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`),
  invalidInterval: () => fail(400, -1120, 'Invalid interval.'),
  invalidSymbol: () => fail(400, -1121, 'Invalid symbol.'),
  startAfterEnd: () => fail(400, -1023, 'Start time is greater than end time.'),
  rangeTooLong: () => fail(400, -1127, 'More than 1 hours between startTime and endTime.'),
  invalidParamValue: (param: string) => fail(400, -1130, `Data sent for parameter '${param}' is not valid.`),
} as const;
