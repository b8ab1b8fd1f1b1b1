/**
 * @module flows/schedule/time-zones
 * Time zones as Azure names them. A Logic Apps `Recurrence` takes a Windows time-zone id ("W. Europe Standard
 * Time"), and Azure refuses anything else (a misspelt id is a 400 on save); a Functions timer's
 * `WEBSITE_TIME_ZONE` takes a Windows id on Windows plans and an IANA name on Linux ones. Node knows IANA names
 * only, so Windows ids go through the table below: each id's zone for territory "001" in CLDR's windowsZones
 * mapping, written with current IANA names. Ids match without regard to case, as .NET's
 * `TimeZoneInfo.FindSystemTimeZoneById` does.
 */
import { scheduleError } from './schedule-error.ts';

/** Windows time-zone id → IANA zone (CLDR windowsZones, territory 001). */
export const WINDOWS_TIME_ZONES: ReadonlyMap<string, string> = new Map([
  ['Dateline Standard Time', 'Etc/GMT+12'],
  ['UTC-11', 'Etc/GMT+11'],
  ['Aleutian Standard Time', 'America/Adak'],
  ['Hawaiian Standard Time', 'Pacific/Honolulu'],
  ['Marquesas Standard Time', 'Pacific/Marquesas'],
  ['Alaskan Standard Time', 'America/Anchorage'],
  ['UTC-09', 'Etc/GMT+9'],
  ['Pacific Standard Time (Mexico)', 'America/Tijuana'],
  ['UTC-08', 'Etc/GMT+8'],
  ['Pacific Standard Time', 'America/Los_Angeles'],
  ['US Mountain Standard Time', 'America/Phoenix'],
  ['Mountain Standard Time (Mexico)', 'America/Mazatlan'],
  ['Mountain Standard Time', 'America/Denver'],
  ['Yukon Standard Time', 'America/Whitehorse'],
  ['Central America Standard Time', 'America/Guatemala'],
  ['Central Standard Time', 'America/Chicago'],
  ['Easter Island Standard Time', 'Pacific/Easter'],
  ['Central Standard Time (Mexico)', 'America/Mexico_City'],
  ['Canada Central Standard Time', 'America/Regina'],
  ['SA Pacific Standard Time', 'America/Bogota'],
  ['Eastern Standard Time (Mexico)', 'America/Cancun'],
  ['Eastern Standard Time', 'America/New_York'],
  ['Haiti Standard Time', 'America/Port-au-Prince'],
  ['Cuba Standard Time', 'America/Havana'],
  ['US Eastern Standard Time', 'America/Indiana/Indianapolis'],
  ['Turks And Caicos Standard Time', 'America/Grand_Turk'],
  ['Paraguay Standard Time', 'America/Asuncion'],
  ['Atlantic Standard Time', 'America/Halifax'],
  ['Venezuela Standard Time', 'America/Caracas'],
  ['Central Brazilian Standard Time', 'America/Cuiaba'],
  ['SA Western Standard Time', 'America/La_Paz'],
  ['Pacific SA Standard Time', 'America/Santiago'],
  ['Newfoundland Standard Time', 'America/St_Johns'],
  ['Tocantins Standard Time', 'America/Araguaina'],
  ['E. South America Standard Time', 'America/Sao_Paulo'],
  ['SA Eastern Standard Time', 'America/Cayenne'],
  ['Argentina Standard Time', 'America/Argentina/Buenos_Aires'],
  ['Greenland Standard Time', 'America/Nuuk'],
  ['Montevideo Standard Time', 'America/Montevideo'],
  ['Magallanes Standard Time', 'America/Punta_Arenas'],
  ['Saint Pierre Standard Time', 'America/Miquelon'],
  ['Bahia Standard Time', 'America/Bahia'],
  ['UTC-02', 'Etc/GMT+2'],
  ['Azores Standard Time', 'Atlantic/Azores'],
  ['Cape Verde Standard Time', 'Atlantic/Cape_Verde'],
  ['UTC', 'UTC'],
  ['GMT Standard Time', 'Europe/London'],
  ['Greenwich Standard Time', 'Atlantic/Reykjavik'],
  ['Sao Tome Standard Time', 'Africa/Sao_Tome'],
  ['Morocco Standard Time', 'Africa/Casablanca'],
  ['W. Europe Standard Time', 'Europe/Berlin'],
  ['Central Europe Standard Time', 'Europe/Budapest'],
  ['Romance Standard Time', 'Europe/Paris'],
  ['Central European Standard Time', 'Europe/Warsaw'],
  ['W. Central Africa Standard Time', 'Africa/Lagos'],
  ['Jordan Standard Time', 'Asia/Amman'],
  ['GTB Standard Time', 'Europe/Bucharest'],
  ['Middle East Standard Time', 'Asia/Beirut'],
  ['Egypt Standard Time', 'Africa/Cairo'],
  ['E. Europe Standard Time', 'Europe/Chisinau'],
  ['Syria Standard Time', 'Asia/Damascus'],
  ['West Bank Standard Time', 'Asia/Hebron'],
  ['South Africa Standard Time', 'Africa/Johannesburg'],
  ['FLE Standard Time', 'Europe/Kyiv'],
  ['Israel Standard Time', 'Asia/Jerusalem'],
  ['South Sudan Standard Time', 'Africa/Juba'],
  ['Kaliningrad Standard Time', 'Europe/Kaliningrad'],
  ['Sudan Standard Time', 'Africa/Khartoum'],
  ['Libya Standard Time', 'Africa/Tripoli'],
  ['Namibia Standard Time', 'Africa/Windhoek'],
  ['Arabic Standard Time', 'Asia/Baghdad'],
  ['Turkey Standard Time', 'Europe/Istanbul'],
  ['Arab Standard Time', 'Asia/Riyadh'],
  ['Belarus Standard Time', 'Europe/Minsk'],
  ['Russian Standard Time', 'Europe/Moscow'],
  ['E. Africa Standard Time', 'Africa/Nairobi'],
  ['Iran Standard Time', 'Asia/Tehran'],
  ['Arabian Standard Time', 'Asia/Dubai'],
  ['Astrakhan Standard Time', 'Europe/Astrakhan'],
  ['Azerbaijan Standard Time', 'Asia/Baku'],
  ['Russia Time Zone 3', 'Europe/Samara'],
  ['Mauritius Standard Time', 'Indian/Mauritius'],
  ['Saratov Standard Time', 'Europe/Saratov'],
  ['Georgian Standard Time', 'Asia/Tbilisi'],
  ['Volgograd Standard Time', 'Europe/Volgograd'],
  ['Caucasus Standard Time', 'Asia/Yerevan'],
  ['Afghanistan Standard Time', 'Asia/Kabul'],
  ['West Asia Standard Time', 'Asia/Tashkent'],
  ['Ekaterinburg Standard Time', 'Asia/Yekaterinburg'],
  ['Pakistan Standard Time', 'Asia/Karachi'],
  ['Qyzylorda Standard Time', 'Asia/Qyzylorda'],
  ['India Standard Time', 'Asia/Kolkata'],
  ['Sri Lanka Standard Time', 'Asia/Colombo'],
  ['Nepal Standard Time', 'Asia/Kathmandu'],
  ['Central Asia Standard Time', 'Asia/Bishkek'],
  ['Bangladesh Standard Time', 'Asia/Dhaka'],
  ['Omsk Standard Time', 'Asia/Omsk'],
  ['Myanmar Standard Time', 'Asia/Yangon'],
  ['SE Asia Standard Time', 'Asia/Bangkok'],
  ['Altai Standard Time', 'Asia/Barnaul'],
  ['W. Mongolia Standard Time', 'Asia/Hovd'],
  ['North Asia Standard Time', 'Asia/Krasnoyarsk'],
  ['N. Central Asia Standard Time', 'Asia/Novosibirsk'],
  ['Tomsk Standard Time', 'Asia/Tomsk'],
  ['China Standard Time', 'Asia/Shanghai'],
  ['North Asia East Standard Time', 'Asia/Irkutsk'],
  ['Singapore Standard Time', 'Asia/Singapore'],
  ['W. Australia Standard Time', 'Australia/Perth'],
  ['Taipei Standard Time', 'Asia/Taipei'],
  ['Ulaanbaatar Standard Time', 'Asia/Ulaanbaatar'],
  ['Aus Central W. Standard Time', 'Australia/Eucla'],
  ['Transbaikal Standard Time', 'Asia/Chita'],
  ['Tokyo Standard Time', 'Asia/Tokyo'],
  ['North Korea Standard Time', 'Asia/Pyongyang'],
  ['Korea Standard Time', 'Asia/Seoul'],
  ['Yakutsk Standard Time', 'Asia/Yakutsk'],
  ['Cen. Australia Standard Time', 'Australia/Adelaide'],
  ['AUS Central Standard Time', 'Australia/Darwin'],
  ['E. Australia Standard Time', 'Australia/Brisbane'],
  ['AUS Eastern Standard Time', 'Australia/Sydney'],
  ['West Pacific Standard Time', 'Pacific/Port_Moresby'],
  ['Tasmania Standard Time', 'Australia/Hobart'],
  ['Vladivostok Standard Time', 'Asia/Vladivostok'],
  ['Lord Howe Standard Time', 'Australia/Lord_Howe'],
  ['Bougainville Standard Time', 'Pacific/Bougainville'],
  ['Russia Time Zone 10', 'Asia/Srednekolymsk'],
  ['Magadan Standard Time', 'Asia/Magadan'],
  ['Norfolk Standard Time', 'Pacific/Norfolk'],
  ['Sakhalin Standard Time', 'Asia/Sakhalin'],
  ['Central Pacific Standard Time', 'Pacific/Guadalcanal'],
  ['Russia Time Zone 11', 'Asia/Kamchatka'],
  ['New Zealand Standard Time', 'Pacific/Auckland'],
  ['UTC+12', 'Etc/GMT-12'],
  ['Fiji Standard Time', 'Pacific/Fiji'],
  ['Chatham Islands Standard Time', 'Pacific/Chatham'],
  ['UTC+13', 'Etc/GMT-13'],
  ['Tonga Standard Time', 'Pacific/Tongatapu'],
  ['Samoa Standard Time', 'Pacific/Apia'],
  ['Line Islands Standard Time', 'Pacific/Kiritimati'],
]);

const BY_LOWER_CASE = new Map([...WINDOWS_TIME_ZONES.keys()].map((id) => [id.toLowerCase(), id]));

/** IANA zone → the Windows id that maps to it, for hints when an IANA name is given where Azure wants Windows. */
const WINDOWS_BY_IANA = new Map([...WINDOWS_TIME_ZONES].map(([windows, iana]) => [iana, windows]));

/** A time zone as given and as Lanyard computes with it. */
export interface ResolvedTimeZone {
  /** The id as written in the definition or setting (a Windows id in its canonical spelling). */
  readonly id: string;
  /** The IANA zone wall-clock times are computed in. */
  readonly iana: string;
}

export const UTC_ZONE: ResolvedTimeZone = { id: 'UTC', iana: 'UTC' };

/** The canonical spelling of a Windows time-zone id, or undefined for an id the table does not have. */
export function canonicalWindowsId(id: string): string | undefined {
  return BY_LOWER_CASE.get(id.trim().toLowerCase());
}

/**
 * A Recurrence's `timeZone`: a Windows id, as Azure requires. An IANA name is refused with the Windows id it
 * corresponds to, when the table has one.
 */
export function windowsTimeZone(id: unknown, field: string): ResolvedTimeZone {
  if (typeof id !== 'string' || id.trim() === '') {
    throw scheduleError(
      field,
      id,
      `${field} must be a Windows time-zone id such as "W. Europe Standard Time".`,
      'Give a Windows time-zone id (docs/flows.md, "Schedules", lists the ones Lanyard knows), or leave the field out for UTC.',
    );
  }
  const canonical = canonicalWindowsId(id);
  if (canonical !== undefined) return { id: canonical, iana: WINDOWS_TIME_ZONES.get(canonical)! };
  const windows = isIanaZone(id) ? WINDOWS_BY_IANA.get(id) : undefined;
  throw scheduleError(
    field,
    id,
    `${field} "${id}" is not a Windows time-zone id Lanyard knows.`,
    windows !== undefined
      ? `Azure takes Windows ids here: write "${windows}" for ${id}.`
      : 'Use a Windows id as the Azure portal lists them, such as "Pacific Standard Time", "W. Europe Standard Time" or "UTC" (docs/flows.md, "Schedules").',
  );
}

/**
 * A timer's time zone (`WEBSITE_TIME_ZONE`): a Windows id (Windows plans) or an IANA name (Linux plans).
 * Undefined or empty means UTC, Azure's default.
 */
export function timerTimeZone(id: unknown, field: string): ResolvedTimeZone {
  if (id === undefined || (typeof id === 'string' && id.trim() === '')) return UTC_ZONE;
  if (typeof id !== 'string') {
    throw scheduleError(
      field,
      id,
      `${field} must be a time-zone name.`,
      'Give a Windows id ("Eastern Standard Time") or an IANA name ("America/New_York").',
    );
  }
  const canonical = canonicalWindowsId(id);
  if (canonical !== undefined) return { id: canonical, iana: WINDOWS_TIME_ZONES.get(canonical)! };
  if (isIanaZone(id.trim())) return { id: id.trim(), iana: id.trim() };
  throw scheduleError(
    field,
    id,
    `${field} "${id}" is neither a Windows time-zone id nor an IANA time-zone name Lanyard knows.`,
    'Give a Windows id ("Eastern Standard Time", "W. Europe Standard Time") or an IANA name ("Europe/Berlin").',
  );
}

/** An IANA zone name the runtime's ICU knows. Offsets ("+01:00") are not names and are refused. */
export function isIanaZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
