import { BSON, type Document } from "bson";
import { decodeDocument } from "./numbers";

/** Wire protocol opcodes the compat server understands. */
export const OP_CODES = {
  reply: 1,
  query: 2004,
  compressed: 2012,
  msg: 2013,
} as const;

/** OP_MSG flag bits. */
export const MSG_FLAGS = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const;

/** Decodes with int32, int64 and double kept apart (numbers.ts). */
function decode(bytes: Buffer): Document {
  return decodeDocument(bytes);
}

/** A decoded client request. */
export interface WireRequest {
  readonly requestId: number;
  readonly opCode: number;
  /** The command document (OP_MSG body with document sequences merged in, or the OP_QUERY query). */
  readonly command: Document;
  /** Database from `$db` (OP_MSG) or the `db.$cmd` namespace (OP_QUERY). */
  readonly db: string;
  /** True when the client asked for no reply (OP_MSG moreToCome). */
  readonly moreToCome: boolean;
  /** Size of the largest BSON document in the request, for size-limit checks. */
  readonly largestDocument: number;
  /** First element of the body, for mongod's BSONObjectTooLarge message. */
  readonly firstElement: string;
}

/** Largest command body mongod accepts (16 MiB + 16 KiB of command overhead). */
export const MAX_COMMAND_BYTES = 16 * 1024 * 1024 + 16 * 1024;

function peekFirstElement(doc: Buffer): string {
  const type = doc.readUInt8(4);
  if (type === 0) return "";
  const end = doc.indexOf(0, 5);
  const name = doc.toString("utf8", 5, end);
  if (type === 2) {
    const len = doc.readInt32LE(end + 1);
    return `${name}: ${JSON.stringify(doc.toString("utf8", end + 5, end + 4 + len))}`;
  }
  return `${name}: ...`;
}

/** Raised for a malformed message; the connection is closed. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError("unterminated cstring");
  return [buf.toString("utf8", offset, end), end + 1];
}

function describeFirstElement(doc: Document): string {
  const first = Object.entries(doc)[0];
  if (!first) return "";
  const [k, v] = first;
  return `${k}: ${typeof v === "string" ? JSON.stringify(v) : String(v)}`;
}

/** Decodes one complete message (header included). */
export function decodeMessage(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_CODES.msg) {
    const flags = message.readUInt32LE(16);
    const end = flags & MSG_FLAGS.checksumPresent ? message.length - 4 : message.length;
    let offset = 20;
    let body: Document | undefined;
    let largest = 0;
    const sequences: [string, Document[]][] = [];
    while (offset < end) {
      const kind = message.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        const size = message.readInt32LE(offset);
        if (size > MAX_COMMAND_BYTES) {
          const raw = message.subarray(offset, offset + size);
          return {
            requestId,
            opCode,
            command: {},
            db: "admin",
            moreToCome: false,
            largestDocument: size,
            firstElement: peekFirstElement(raw),
          };
        }
        body = decode(message.subarray(offset, offset + size));
        largest = Math.max(largest, size);
        offset += size;
      } else if (kind === 1) {
        const size = message.readInt32LE(offset);
        const sectionEnd = offset + size;
        const [identifier, next] = readCString(message, offset + 4);
        let cursor = next;
        const docs: Document[] = [];
        while (cursor < sectionEnd) {
          const docSize = message.readInt32LE(cursor);
          docs.push(decode(message.subarray(cursor, cursor + docSize)));
          largest = Math.max(largest, docSize);
          cursor += docSize;
        }
        sequences.push([identifier, docs]);
        offset = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new ProtocolError("OP_MSG without a body section");
    for (const [identifier, docs] of sequences) body[identifier] = docs;
    const db = typeof body.$db === "string" ? body.$db : "admin";
    return {
      requestId,
      opCode,
      command: body,
      db,
      moreToCome: (flags & MSG_FLAGS.moreToCome) !== 0,
      largestDocument: largest,
      firstElement: describeFirstElement(body),
    };
  }
  if (opCode === OP_CODES.query) {
    let offset = 20;
    const [fullName, next] = readCString(message, offset);
    offset = next + 8;
    const size = message.readInt32LE(offset);
    let query = decode(message.subarray(offset, offset + size));
    if (query.$query && typeof query.$query === "object") query = query.$query as Document;
    const db = fullName.endsWith(".$cmd") ? fullName.slice(0, -5) : (fullName.split(".")[0] ?? "admin");
    return { requestId, opCode, command: query, db, moreToCome: false, largestDocument: size, firstElement: describeFirstElement(query) };
  }
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

let nextResponseId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextResponseId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Encodes a reply in the format matching the request (OP_MSG or OP_REPLY). */
export function encodeReply(request: Pick<WireRequest, "opCode" | "requestId">, reply: Document): Buffer {
  const body = BSON.serialize(reply, { ignoreUndefined: true });
  if (request.opCode === OP_CODES.query) {
    const prefix = Buffer.alloc(20);
    prefix.writeInt32LE(8, 0); // AwaitCapable
    prefix.writeBigInt64LE(BigInt(0), 4);
    prefix.writeInt32LE(0, 12);
    prefix.writeInt32LE(1, 16);
    const length = 16 + prefix.length + body.length;
    return Buffer.concat([header(length, request.requestId, OP_CODES.reply), prefix, body]);
  }
  const flags = Buffer.alloc(5);
  flags.writeUInt32LE(0, 0);
  flags.writeUInt8(0, 4);
  const length = 16 + flags.length + body.length;
  return Buffer.concat([header(length, request.requestId, OP_CODES.msg), flags, body]);
}

/** Splits a byte stream into complete wire messages (chunks are joined once per message, not per read). */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private length = 0;
  private expected = -1;

  constructor(private readonly maxMessageBytes: number) {}

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Adds bytes and returns every complete message now available. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.length < 4) break;
        const head = this.chunks[0] && this.chunks[0].length >= 4 ? this.chunks[0] : this.joined();
        this.expected = head.readInt32LE(0);
        if (this.expected < 16 || this.expected > this.maxMessageBytes) {
          throw new ProtocolError(`invalid message length ${this.expected}`);
        }
      }
      if (this.length < this.expected) break;
      const all = this.joined();
      out.push(all.subarray(0, this.expected));
      const rest = all.subarray(this.expected);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
      this.expected = -1;
    }
    return out;
  }
}
