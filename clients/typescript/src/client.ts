// A Qualys CAR and PCRS client for TypeScript: openapi-fetch over the
// types openapi-typescript generates from spec/, plus the few things the
// specs cannot say (the /auth form and its JWT, bearer tokens, base64
// script content, gzip posture bodies without a Content-Encoding header).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import { gunzipSync } from "node:zlib";
import type { components as CarComponents, paths as CarPaths } from "./generated/car.js";
import type { components as PcrsComponents, paths as PcrsPaths } from "./generated/pcrs.js";

export type CarSchemas = CarComponents["schemas"];
export type PcrsSchemas = PcrsComponents["schemas"];
export type PostureRecord = PcrsSchemas["PostureRecord"];

export interface QualysOptions {
  /** API gateway URL, e.g. https://gateway.qg2.apps.qualys.com (http only on loopback). */
  gatewayUrl: string;
  username: string;
  password: string;
  /** fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

export interface QualysClient {
  /** Every CAR operation, typed from spec/qualys-car.yaml. */
  car: Client<CarPaths>;
  /** Every PCRS operation, typed from spec/qualys-pcrs.yaml. */
  pcrs: Client<PcrsPaths>;
  /** The JWT sent as bearer token, requested from /auth on first use. */
  token(): Promise<string>;
}

/** A failed call; the message never holds credentials or tokens. */
export class QualysError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "QualysError";
    this.status = status;
  }
}

/** Largest decompressed posture body parsePosture accepts (256 MiB). */
export const maxPostureBytes = 256 << 20;

export function createQualysClient(opts: QualysOptions): QualysClient {
  const base = checkGatewayUrl(opts.gatewayUrl);
  if (!opts.username || !opts.password) {
    throw new QualysError("a user name and a password are required");
  }
  const common = { baseUrl: base, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  const car = createClient<CarPaths>(common);
  const pcrs = createClient<PcrsPaths>(common);

  let pending: Promise<string> | undefined;
  const token = (): Promise<string> => {
    pending ??= requestToken(car, opts.username, opts.password).catch((err: unknown) => {
      pending = undefined; // the next call tries again
      throw err;
    });
    return pending;
  };
  const bearer: Middleware = {
    async onRequest({ request, schemaPath }) {
      if (schemaPath === "/auth") return undefined;
      request.headers.set("Authorization", `Bearer ${await token()}`);
      return request;
    },
  };
  car.use(bearer);
  pcrs.use(bearer);
  return { car, pcrs, token };
}

function checkGatewayUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new QualysError("the gateway URL is not a URL");
  }
  const loopback = u.hostname === "localhost" || u.hostname === "127.0.0.1" || u.hostname === "[::1]";
  if (u.username || u.password) throw new QualysError("the gateway URL must not hold credentials");
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
    throw new QualysError("the gateway URL must use https (http only on loopback)");
  }
  return u.origin + u.pathname.replace(/\/+$/, "");
}

async function requestToken(car: Client<CarPaths>, username: string, password: string): Promise<string> {
  const { data, response } = await car.POST("/auth", {
    body: { username, password, token: "true" },
    bodySerializer: (b) => new URLSearchParams(b as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    parseAs: "text",
  });
  if (!response.ok || typeof data !== "string" || data.trim() === "") {
    throw new QualysError(`authentication failed: HTTP ${response.status}`, response.status);
  }
  return data.trim();
}

/** Decodes a base64 script content or script result to text. */
export function decodeBase64(value: string | null | undefined): string {
  return value ? Buffer.from(value, "base64").toString("utf8") : "";
}

/**
 * Parses a postureInfo body read with parseAs: "arrayBuffer". PCRS sends
 * gzip bytes without a Content-Encoding header unless
 * compressionRequired=0, so the body is recognised by its magic number.
 */
export function parsePosture(body: ArrayBuffer): PostureRecord[] {
  let bytes: Buffer = Buffer.from(body);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = gunzipSync(bytes, { maxOutputLength: maxPostureBytes });
  }
  const parsed: unknown = JSON.parse(bytes.toString("utf8"));
  if (!Array.isArray(parsed)) throw new QualysError("the posture body is not an array");
  return parsed as PostureRecord[];
}
