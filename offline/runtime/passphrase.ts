/** Secure values of a stack file, decrypted offline as the CLI's passphrase secrets manager does. */
import * as crypto from "crypto";
import * as fs from "fs";
import { Decrypter, NotPlainYaml } from "./plainYaml";

const decrypters = new Map<string, Decrypter>();

/**
 * The CLI's passphrase secrets manager: key = PBKDF2-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes); each
 * value `v1:<nonce>:<ciphertext>`, AES-256-GCM; the salt ends with "pulumi" encrypted, which checks the passphrase.
 * Undefined without a salt or a passphrase.
 */
export function passphraseDecrypter(salt: string | undefined, shown: string): Decrypter | undefined {
    const file = process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    const phrase = process.env.PULUMI_CONFIG_PASSPHRASE ?? (file ? fs.readFileSync(file, "utf8") : undefined);
    if (salt === undefined || phrase === undefined) return undefined;
    const cached = decrypters.get(`${salt}\u0000${phrase}`);
    if (cached) return cached;
    const [, saltText, check] = /^v1:([^:]+):(v1:.+)$/.exec(salt) ?? [];
    if (!saltText || !check) throw new NotPlainYaml(shown, "encryptionsalt", "a salt of another format than v1");
    const key = crypto.pbkdf2Sync(phrase, Buffer.from(saltText, "base64"), 1_000_000, 32, "sha256");
    const decrypt = (ciphertext: string): string => {
        const [v, nonce, data] = ciphertext.split(":");
        if (v !== "v1" || !nonce || !data) throw new Error(`failed to decrypt: unknown ciphertext format`);
        const bytes = Buffer.from(data, "base64");
        const gcm = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        gcm.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([gcm.update(bytes.subarray(0, bytes.length - 16)), gcm.final()]).toString("utf8");
    };
    let verified = false;
    try {
        verified = decrypt(check) === "pulumi";
    } catch {
        verified = false;
    }
    if (!verified)
        throw new Error("incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase");
    decrypters.set(`${salt}\u0000${phrase}`, decrypt);
    return decrypt;
}
