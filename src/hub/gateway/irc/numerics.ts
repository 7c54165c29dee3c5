/**
 * The IRC numerics the gateway sends, by name, and the one mapping from Parley's error codes to them
 * (the domain's refusals reach IRC clients only through `numericFor`).
 */
import type { ErrorCode } from "../../../protocol/errors.js";

export const N = {
  RPL_WELCOME: "001",
  RPL_YOURHOST: "002",
  RPL_CREATED: "003",
  RPL_MYINFO: "004",
  RPL_ISUPPORT: "005",
  RPL_UMODEIS: "221",
  RPL_USERHOST: "302",
  RPL_TRYAGAIN: "263",
  RPL_AWAY: "301",
  RPL_UNAWAY: "305",
  RPL_NOWAWAY: "306",
  RPL_WHOISUSER: "311",
  RPL_WHOISOPERATOR: "313",
  RPL_WHOISSERVER: "312",
  RPL_ENDOFWHO: "315",
  RPL_WHOISIDLE: "317",
  RPL_ENDOFWHOIS: "318",
  RPL_WHOISCHANNELS: "319",
  RPL_LISTSTART: "321",
  RPL_LIST: "322",
  RPL_LISTEND: "323",
  RPL_CHANNELMODEIS: "324",
  RPL_CREATIONTIME: "329",
  RPL_WHOISACCOUNT: "330",
  RPL_NOTOPIC: "331",
  RPL_TOPIC: "332",
  RPL_TOPICWHOTIME: "333",
  RPL_INVITING: "341",
  RPL_WHOREPLY: "352",
  RPL_NAMREPLY: "353",
  RPL_WHOSPCRPL: "354",
  RPL_ENDOFNAMES: "366",
  RPL_BANLIST: "367",
  RPL_ENDOFBANLIST: "368",
  RPL_MOTD: "372",
  RPL_MOTDSTART: "375",
  RPL_ENDOFMOTD: "376",
  RPL_YOUREOPER: "381",
  ERR_UNKNOWNERROR: "400",
  ERR_NOSUCHNICK: "401",
  ERR_NOSUCHCHANNEL: "403",
  ERR_CANNOTSENDTOCHAN: "404",
  ERR_INVALIDCAPCMD: "410",
  ERR_NORECIPIENT: "411",
  ERR_NOTEXTTOSEND: "412",
  ERR_INPUTTOOLONG: "417",
  ERR_UNKNOWNCOMMAND: "421",
  ERR_NOMOTD: "422",
  ERR_NONICKNAMEGIVEN: "431",
  ERR_ERRONEUSNICKNAME: "432",
  ERR_NICKNAMEINUSE: "433",
  ERR_USERNOTINCHANNEL: "441",
  ERR_NOTONCHANNEL: "442",
  ERR_USERONCHANNEL: "443",
  ERR_NOTREGISTERED: "451",
  ERR_NEEDMOREPARAMS: "461",
  ERR_ALREADYREGISTERED: "462",
  ERR_PASSWDMISMATCH: "464",
  ERR_KEYSET: "467",
  ERR_NOPRIVILEGES: "481",
  ERR_CHANNELISFULL: "471",
  ERR_UNKNOWNMODE: "472",
  ERR_BANNEDFROMCHAN: "474",
  ERR_BADCHANNELKEY: "475",
  ERR_BADCHANMASK: "476",
  ERR_CHANOPRIVSNEEDED: "482",
  ERR_NOOPERHOST: "491",
  ERR_UMODEUNKNOWNFLAG: "501",
  ERR_USERSDONTMATCH: "502",
  ERR_INVALIDMODEPARAM: "696",
  RPL_MONONLINE: "730",
  RPL_MONOFFLINE: "731",
  RPL_MONLIST: "732",
  RPL_ENDOFMONLIST: "733",
  ERR_MONLISTFULL: "734",
  RPL_LOGGEDIN: "900",
  ERR_NICKLOCKED: "902",
  RPL_SASLSUCCESS: "903",
  ERR_SASLFAIL: "904",
  ERR_SASLTOOLONG: "905",
  ERR_SASLABORTED: "906",
  ERR_SASLALREADY: "907",
  RPL_SASLMECHS: "908",
} as const;

/** What a refusal is, seen from a command about a channel or a nick. */
export interface NumericRefusal {
  numeric: string;
  /** Which command argument the numeric names (`target` is the channel or nick the command is about). */
  about: "target" | "command" | "none";
}

/**
 * Parley error code → IRC numeric. Codes without an IRC counterpart become ERR_UNKNOWNERROR with the
 * hub's own message (rate limits, storage refusals, internal errors with their correlation id).
 */
export function numericFor(code: ErrorCode): NumericRefusal {
  switch (code) {
    case "NO_SUCH_ROOM":
      return { numeric: N.ERR_NOSUCHCHANNEL, about: "target" };
    case "INVALID_NAME":
      return { numeric: N.ERR_BADCHANMASK, about: "target" };
    case "NOT_MEMBER":
      return { numeric: N.ERR_NOTONCHANNEL, about: "target" };
    case "ALREADY_MEMBER":
      return { numeric: N.ERR_USERONCHANNEL, about: "target" };
    case "FORBIDDEN":
      return { numeric: N.ERR_CHANOPRIVSNEEDED, about: "target" };
    case "WRONG_PASSWORD":
      return { numeric: N.ERR_BADCHANNELKEY, about: "target" };
    case "ROOM_FULL":
      return { numeric: N.ERR_CHANNELISFULL, about: "target" };
    case "BANNED":
      return { numeric: N.ERR_BANNEDFROMCHAN, about: "target" };
    case "NO_SUCH_USER":
      return { numeric: N.ERR_NOSUCHNICK, about: "target" };
    case "EMPTY_BODY":
      return { numeric: N.ERR_NOTEXTTOSEND, about: "none" };
    case "BLOCKED":
      return { numeric: N.ERR_CANNOTSENDTOCHAN, about: "target" };
    case "TAGS_TOO_LONG":
      return { numeric: N.ERR_INPUTTOOLONG, about: "none" };
    default:
      return { numeric: N.ERR_UNKNOWNERROR, about: "command" };
  }
}
