// The operators' way to write to a client from the admin chat: "br0722: текст" (spaces around the colon
// allowed, the text may span lines).

const COMMAND = /^\s*([A-Za-z]{2}\d{4})\s*:\s*([\s\S]*?)\s*$/;

export function parseAdminCommand(command: string): { leadNumber: string; text: string } | null {
  const match = COMMAND.exec(command);
  if (!match || !match[2]) return null;
  return { leadNumber: match[1]!.toLowerCase(), text: match[2] };
}
