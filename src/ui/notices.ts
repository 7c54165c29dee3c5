/** How a notice line (command output, hub events) is shown: a system note, information, or an error. */
export type NoticeLevel = "system" | "info" | "error";
