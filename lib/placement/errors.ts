/**
 * Errors of the placement module. ECS answers every one of them with `InvalidParameterException`
 * (HTTP 400), so the emulator maps the whole family with one `instanceof` and passes the message on.
 */
export class PlacementParameterError extends Error {
  override readonly name: string = 'PlacementParameterError';
}

/** A `memberOf` expression that does not parse (or names an unknown subject or a misplaced operator). */
export class ClusterQueryError extends PlacementParameterError {
  override readonly name: string = 'ClusterQueryError';
  constructor(
    message: string,
    /** The expression as given. */
    readonly expression: string,
    /** Zero-based offset in `expression` where the problem was found. */
    readonly position: number,
  ) {
    super(message);
  }
}
