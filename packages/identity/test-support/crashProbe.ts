// Child process of auditTrail.integration.test.ts: starts an outbox-mode mutation, applies the change,
// then dies with SIGKILL before the audit entry can be settled — a real crash between the two writes.
import { SettingRepository } from "@cspm/domain";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { parseTeamId, RepositoryFactory } from "@cspm/repository";
import { systemActor } from "../src/actor";
import { AuditTrail } from "../src/auditTrail";

const [uri, prefix, teamText] = process.argv.slice(2) as [string, string, string];
const manager = new CSPMDatabaseManager({ uri, prefix, appName: "identity-crash-probe" });
await manager.connect();
const repositories = new RepositoryFactory({ provider: manager });
const audit = new AuditTrail({ manager, repositories, clock: () => new Date() });
const team = parseTeamId(teamText);
await audit.run(
  { actor: systemActor(team, "crash-probe", "admin"), teamId: team, requestId: "crash-1" },
  {
    action: "setting.update",
    permission: "manage_accounts",
    target: { type: "setting", id: "crash.marker" },
    mode: "outbox",
    changes: { value: 1 },
  },
  async () => {
    await repositories.get(SettingRepository).set(team, "crash.marker", 1);
    process.stdout.write("changed\n");
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => undefined);
  },
);
