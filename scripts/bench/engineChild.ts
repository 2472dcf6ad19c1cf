/**
 * The offline engine in a process of its own for `pnpm bench` (forked by `engineProcess.ts`): starts
 * `startCompatServer` on an ephemeral loopback port and sends `{ type: "ready", uri, port }`; see
 * `benchChild.ts` for the CPU and stop messages.
 */
import { startCompatServer } from "@cspm/mongo-engine";
import { serveBenchParent } from "./benchChild";

const server = await startCompatServer({});
serveBenchParent(() => server.stop()).send({ type: "ready", uri: server.uri, port: server.port });
