import { connect, type Socket } from "node:net";
import { BSON, type Document } from "bson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCompatServer, type CompatServer } from "./compatServer";

let server: CompatServer;

beforeAll(async () => {
  server = await startCompatServer();
});

afterAll(async () => {
  await server.stop();
});

let requestId = 1;

function header(length: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId++, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(body: Document, options: { sequence?: [string, Document[]]; flags?: number; checksum?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((options.flags ?? 0) | (options.checksum ? 1 : 0));
  parts.push(flags, Buffer.from([0]), Buffer.from(BSON.serialize(body)));
  if (options.sequence) {
    const [id, docs] = options.sequence;
    const payload = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => Buffer.from(BSON.serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  if (options.checksum) parts.push(Buffer.alloc(4));
  const rest = Buffer.concat(parts);
  return Buffer.concat([header(16 + rest.length, 2013), rest]);
}

function opQuery(ns: string, query: Document): Buffer {
  const flags = Buffer.alloc(4);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  const rest = Buffer.concat([flags, Buffer.from(`${ns}\0`), skipReturn, Buffer.from(BSON.serialize(query))]);
  return Buffer.concat([header(16 + rest.length, 2004), rest]);
}

async function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: server.port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

function readReply(socket: Socket): Promise<{ opCode: number; doc: Document }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
      socket.off("data", onData);
      const opCode = buf.readInt32LE(12);
      const docStart = opCode === 1 ? 36 : 21;
      resolve({ opCode, doc: BSON.deserialize(buf.subarray(docStart, buf.readInt32LE(0))) });
    };
    socket.on("data", onData);
  });
}

async function roundTrip(socket: Socket, message: Buffer): Promise<{ opCode: number; doc: Document }> {
  const reply = readReply(socket);
  socket.write(message);
  return reply;
}

describe("compat server wire protocol", () => {
  it("answers the legacy OP_QUERY isMaster handshake with OP_REPLY describing a replica set primary", async () => {
    const socket = await open();
    const { opCode, doc } = await roundTrip(
      socket,
      opQuery("admin.$cmd", { isMaster: 1, helloOk: true, client: { driver: { name: "raw" } } }),
    );
    socket.destroy();
    expect(opCode).toBe(1);
    expect(doc).toMatchObject({
      ok: 1,
      ismaster: true,
      helloOk: true,
      setName: "rs0",
      hosts: [`127.0.0.1:${server.port}`],
      maxWireVersion: 21,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      logicalSessionTimeoutMinutes: 30,
    });
    expect(doc.compression).toBeUndefined();
  });

  it("accepts OP_MSG document sequences, the checksum flag and moreToCome", async () => {
    const socket = await open();
    const inserted = await roundTrip(
      socket,
      opMsg({ insert: "seq", $db: "wire" }, { sequence: ["documents", [{ _id: 1 }, { _id: 2 }]], checksum: true }),
    );
    expect(inserted.opCode).toBe(2013);
    expect(inserted.doc).toMatchObject({ ok: 1, n: 2 });
    expect(inserted.doc.$clusterTime).toBeDefined();
    expect(inserted.doc.operationTime).toBeDefined();
    socket.write(opMsg({ insert: "seq", documents: [{ _id: 3 }], $db: "wire" }, { flags: 2 }));
    const found = await roundTrip(socket, opMsg({ find: "seq", filter: {}, $db: "wire" }));
    socket.destroy();
    expect(found.doc.cursor.firstBatch).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  });

  it("rejects unknown commands with 59 and unknown fields with 40415", async () => {
    const socket = await open();
    const unknown = await roundTrip(socket, opMsg({ frobnicate: 1, $db: "wire" }));
    const field = await roundTrip(socket, opMsg({ find: "seq", frob: true, $db: "wire" }));
    socket.destroy();
    expect(unknown.doc).toMatchObject({ ok: 0, code: 59, codeName: "CommandNotFound", errmsg: "no such command: 'frobnicate'" });
    expect(field.doc).toMatchObject({ ok: 0, code: 40415, errmsg: "BSON field 'find.frob' is an unknown field." });
  });
});
