/**
 * Layers the hub's settings: flags over PARLEY_* environment over the config file (parley.toml or
 * parley.json) over the defaults in src/hub/config.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseToml } from "smol-toml";
import { hubConfigSchema, type HubConfig, type HubConfigInput } from "../hub/config.js";

const KEYS = Object.keys(hubConfigSchema.shape) as Array<keyof HubConfig>;

function camel(key: string): string {
  return key.replace(/[-_]([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** PARLEY_DATA_DIR → dataDir, etc. */
export function fromEnvironment(env: NodeJS.ProcessEnv): HubConfigInput {
  const out: Record<string, string> = {};
  for (const key of KEYS) {
    const name = `PARLEY_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const value = env[name];
    if (value !== undefined && value !== "") out[key] = value;
  }
  return normaliseBooleans(out);
}

function normaliseBooleans(values: Record<string, unknown>): HubConfigInput {
  for (const key of ["insecure", "rateLimits", "web", "adminFirstUser", "limitLoopback", "ircGuests"]) {
    const v = values[key];
    if (typeof v === "string") values[key] = !["0", "false", "no", "off", ""].includes(v.toLowerCase());
  }
  return values as HubConfigInput;
}

export class ConfigFileError extends Error {}

/** Reads the file named, or ./parley.toml / ./parley.json when none is named. */
export function fromFile(path: string | undefined): { values: HubConfigInput; path?: string } {
  const candidates = path ? [path] : ["parley.toml", "parley.json"];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    if (path) throw new ConfigFileError(`config file ${path} does not exist`);
    return { values: {} };
  }
  let raw: unknown;
  try {
    const text = readFileSync(found, "utf8");
    raw = extname(found) === ".json" ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    throw new ConfigFileError(`cannot read ${found}: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null)
    throw new ConfigFileError(`${found} must hold a table of settings`);
  const section = (raw as Record<string, unknown>)["hub"] ?? raw;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    const name = camel(key);
    if (!KEYS.includes(name as keyof HubConfig))
      throw new ConfigFileError(`${found}: unknown setting "${key}"`);
    values[name] = value;
  }
  return { values: normaliseBooleans(values), path: found };
}

export function layered(flags: HubConfigInput, env: NodeJS.ProcessEnv, file: HubConfigInput): HubConfig {
  const result = hubConfigSchema.safeParse({ ...file, ...fromEnvironment(env), ...flags });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigFileError(
      `invalid setting ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    );
  }
  return result.data;
}
