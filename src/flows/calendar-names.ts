/**
 * @module flows/calendar-names
 * English week-day and month names in JavaScript's order (Sunday = 0, January = 0): what Azure's schedules,
 * NCRONTAB and .NET's en-US date formats all spell. One list for the schedule and expression modules.
 */

export const WEEK_DAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
