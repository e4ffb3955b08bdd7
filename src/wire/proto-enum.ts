/** Both directions of a mapping between a core string union and a proto enum. */
export interface ProtoEnum<Core extends string, Proto extends number> {
  /** The proto value of a core value. */
  toProto(value: Core): Proto;
  /** The core value of a proto value; throws on one the table lacks (UNSPECIFIED, which the service never sends). */
  fromProto(value: Proto): Core;
}

/** The two-way mapping given by `table` (core → proto); `what` names the value in the error of an unknown one. */
export function protoEnum<Core extends string, Proto extends number>(table: Readonly<Record<Core, Proto>>, what: string): ProtoEnum<Core, Proto> {
  const back = new Map<Proto, Core>(Object.entries(table).map(([core, proto]) => [proto as Proto, core as Core]));
  return {
    toProto: (value) => table[value],
    fromProto(value) {
      const core = back.get(value);
      if (core === undefined) throw new Error(`The service sent an unknown ${what} (${value})`);
      return core;
    },
  };
}
