import { cancelledText } from "../core/cancel-request.ts";

/** The run was cancelled (`cancel` on any replica): it stops where it read the request, and its exception is `cancelled by <by>`. */
export class CancelledError extends Error {
  override readonly name = "CancelledError";

  /** `by` is who cancelled, as the command row holds it. */
  constructor(readonly by: string) {
    super(cancelledText(by));
  }
}
