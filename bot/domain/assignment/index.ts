/** The assignment engine's public surface (used by lead assignment and ticket dispatch). */
export {
  addWorkingMinutes,
  type Candidate,
  chooseMember,
  containsAny,
  dailyQuota,
  inWorkingHours,
  type PickRule,
  rulePicker,
} from './engine'
