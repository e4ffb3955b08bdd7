import { create, type DescFile, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../gen/grpc/reflection/v1/reflection_pb.ts";

/** gRPC's NOT_FOUND, the code a reflection error carries for an unknown file or symbol. */
const NOT_FOUND = 5;

/** `file` and every file it imports, each once, dependencies first (how reflection clients expect them). */
function withDependencies(file: DescFile, seen = new Set<string>()): DescFile[] {
  if (seen.has(file.proto.name)) return [];
  seen.add(file.proto.name);
  return [...file.dependencies.flatMap((dependency) => withDependencies(dependency, seen)), file];
}

/** Every fully qualified name a file declares: its services, their methods, messages (nested too) and enums. */
function symbolsOf(file: DescFile): string[] {
  const names: string[] = [];
  for (const service of file.services) names.push(service.typeName, ...service.methods.map((m) => `${service.typeName}.${m.name}`));
  const messages = [...file.messages];
  while (messages.length > 0) {
    const message = messages.pop()!;
    names.push(message.typeName, ...message.nestedEnums.map((e) => e.typeName));
    messages.push(...message.nestedMessages);
  }
  names.push(...file.enums.map((e) => e.typeName));
  return names;
}

/**
 * gRPC server reflection (`grpc.reflection.v1.ServerReflection`) over the files the service serves,
 * so `buf curl`, grpcurl and Postman find its methods and messages without a copy of `proto/`. The
 * schema is public (it is in the repository), so the caller exempts this service from auth.
 */
export function createReflectionRoutes(files: readonly DescFile[]): (router: ConnectRouter) => void {
  const all = [...new Map(files.flatMap((file) => withDependencies(file)).map((f) => [f.proto.name, f])).values()];
  const byName = new Map(all.map((file) => [file.proto.name, file]));
  const bySymbol = new Map(all.flatMap((file) => symbolsOf(file).map((symbol) => [symbol, file] as const)));
  const services = [...new Set([...files.flatMap((file) => file.services.map((s) => s.typeName)), ServerReflection.typeName])];

  const answer = (request: ServerReflectionRequest): ServerReflectionResponse => {
    const base = { validHost: request.host, originalRequest: request };
    const filesOf = (file: DescFile | undefined, what: string) =>
      file === undefined
        ? create(ServerReflectionResponseSchema, { ...base, messageResponse: { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } } })
        : create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: withDependencies(file).map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) },
          },
        });
    const message = request.messageRequest;
    switch (message.case) {
      case "fileByFilename":
        return filesOf(byName.get(message.value), `file ${message.value}`);
      case "fileContainingSymbol":
        return filesOf(bySymbol.get(message.value.replace(/^\./, "")), `symbol ${message.value}`);
      case "listServices":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } },
        });
      case "allExtensionNumbersOfType":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: message.value, extensionNumber: [] } },
        });
      default:
        return filesOf(undefined, message.case === "fileContainingExtension" ? "extension" : "request");
    }
  };

  return (router) =>
    router.service(ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) yield answer(request);
      },
    });
}
