/**
 * How verification shows in the terminal: the safety number in groups, a QR code of it drawn with
 * block characters (the `qrcode` library's UTF-8 renderer: no escape sequences, so it survives the
 * pane's sanitising), and the words for a device's standing.
 */
import QRCode from "qrcode";
import type { Trust } from "../../peer/contacts.js";

/** The status-line and `/whois` word for how a device stands. */
export function trustWord(trust: Trust | undefined): string | undefined {
  switch (trust) {
    case "verified":
      return "verified";
    case "unverified":
      return "unverified";
    case "changed":
      return "KEY CHANGED";
    case undefined:
      return undefined;
  }
}

/** How a chat's encryption is described: never plainly "end-to-end encrypted" to a key nobody checked. */
export function encryptionWords(trust: Trust): string {
  return trust === "verified" ? "end-to-end encrypted, verified" : "encrypted, not verified";
}

/**
 * The QR code of a safety number: its 60 digits (numeric mode keeps it small, 25×25 modules), as rows
 * of half blocks two modules high.
 */
export async function safetyNumberQr(safetyNumber: string): Promise<string[]> {
  const digits = safetyNumber.replace(/\D/g, "");
  const drawing = await QRCode.toString(digits, { type: "utf8", errorCorrectionLevel: "L", margin: 2 });
  return drawing.split("\n").filter((row) => row.trim().length > 0);
}
