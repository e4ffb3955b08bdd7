import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MigrationService } from "../gen/migrations/v1/migrations_pb.ts";

/** The generated Connect client of MigrationService. */
export type MigrationClient = Client<typeof MigrationService>;

/** Sends `Authorization: base64(password)` on every call, the form the service accepts (CONTRACT §4). */
function authorization(password: string): Interceptor {
  const value = Buffer.from(password, "utf8").toString("base64");
  return (next) => async (request) => {
    request.header.set("Authorization", value);
    return next(request);
  };
}

/** Creates a Connect client (HTTP/1.1, Connect protocol) for the service at `baseUrl`. */
export function createMigrationClient(baseUrl: string, password: string): MigrationClient {
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [authorization(password)] });
  return createClient(MigrationService, transport);
}
