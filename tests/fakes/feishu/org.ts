import { stableHex } from './ids'

/**
 * The fake tenant's contact directory. Seeds use the tenant's own ids (`user_id`,
 * `department_id`); the directory derives stable `ou_`/`on_`/`od-` ids from them so fixtures can be written
 * once and still look like Feishu data.
 */

/** `status` block of a contact v3 user. */
export interface FakeUserStatus {
  is_frozen: boolean
  is_resigned: boolean
  is_activated: boolean
  is_exited: boolean
  is_unjoin: boolean
}

/** One person in the seed. Only `userId` and `name` are required. */
export interface FakeUserSeed {
  /** Tenant employee id (`user_id`), e.g. `zhangsan`. Also the handle tests use to look people up. */
  userId: string
  name: string
  enName?: string
  email?: string
  /** E.164, e.g. `+8613800000001`. */
  mobile?: string
  /** Tenant department ids (`department_id`); `'0'` is the root. Default `['0']`. */
  departmentIds?: string[]
  /** `user_id` of the direct manager. */
  leaderUserId?: string
  jobTitle?: string
  employeeNo?: string
  status?: Partial<FakeUserStatus>
  /** Override the derived ids (e.g. to match a recorded fixture). */
  openId?: string
  unionId?: string
}

/** One department in the seed; the root `'0'` is implicit. */
export interface FakeDepartmentSeed {
  /** Tenant department id (`department_id`), e.g. `D100`. */
  departmentId: string
  name: string
  /** Default `'0'` (root). */
  parentDepartmentId?: string
  /** `user_id` of the department leader. */
  leaderUserId?: string
  openDepartmentId?: string
}

export interface FakeOrgSeed {
  departments: FakeDepartmentSeed[]
  users: FakeUserSeed[]
}

/** A user as the fake stores it, with every id resolved. */
export interface FakeUser {
  openId: string
  unionId: string
  userId: string
  name: string
  enName: string
  email: string
  mobile: string
  departmentIds: string[]
  leaderUserId: string
  jobTitle: string
  employeeNo: string
  /** contact v3 `time_zone` (the fake sends China time when unset). */
  timeZone?: string
  status: FakeUserStatus
}

/** A department as the fake stores it. */
export interface FakeDepartment {
  departmentId: string
  openDepartmentId: string
  name: string
  parentDepartmentId: string
  leaderUserId: string
  order: number
}

export type UserIdType = 'open_id' | 'union_id' | 'user_id'
export type DepartmentIdType = 'department_id' | 'open_department_id'

export const ROOT_DEPARTMENT_ID = '0'

/** Parses a `user_id_type` query value; undefined for anything Feishu would reject. */
export function parseUserIdType(
  v: string | null | undefined,
  fallback: UserIdType | undefined = 'open_id',
): UserIdType | undefined {
  if (v === undefined || v === null || v === '') return fallback
  return v === 'open_id' || v === 'union_id' || v === 'user_id' ? v : undefined
}

/** Parses a `department_id_type` query value (Feishu's default is `open_department_id`). */
export function parseDepartmentIdType(v: string | null | undefined): DepartmentIdType | undefined {
  if (v === undefined || v === null || v === '') return 'open_department_id'
  return v === 'department_id' || v === 'open_department_id' ? v : undefined
}

/** In-memory directory with the lookups and id-type conversions the contact endpoints need. */
export class FakeDirectory {
  readonly users: FakeUser[] = []
  readonly departments: FakeDepartment[] = []

  constructor(seed: FakeOrgSeed, appId: string) {
    seed.departments.forEach((d, i) => {
      this.departments.push({
        departmentId: d.departmentId,
        openDepartmentId: d.openDepartmentId ?? `od-${stableHex(`${appId}/dept/${d.departmentId}`)}`,
        name: d.name,
        parentDepartmentId: d.parentDepartmentId ?? ROOT_DEPARTMENT_ID,
        leaderUserId: d.leaderUserId ?? '',
        order: (i + 1) * 1000,
      })
    })
    for (const u of seed.users) {
      this.users.push({
        openId: u.openId ?? `ou_${stableHex(`${appId}/open/${u.userId}`)}`,
        unionId: u.unionId ?? `on_${stableHex(`union/${u.userId}`)}`,
        userId: u.userId,
        name: u.name,
        enName: u.enName ?? '',
        email: u.email ?? '',
        mobile: u.mobile ?? '',
        departmentIds: u.departmentIds?.length ? [...u.departmentIds] : [ROOT_DEPARTMENT_ID],
        leaderUserId: u.leaderUserId ?? '',
        jobTitle: u.jobTitle ?? '',
        employeeNo: u.employeeNo ?? '',
        status: {
          is_frozen: false,
          is_resigned: false,
          is_activated: true,
          is_exited: false,
          is_unjoin: false,
          ...u.status,
        },
      })
    }
  }

  /** Finds a user by any id type (or email when `type` is `email`). */
  findUser(type: UserIdType | 'email', id: string): FakeUser | undefined {
    switch (type) {
      case 'open_id':
        return this.users.find((u) => u.openId === id)
      case 'union_id':
        return this.users.find((u) => u.unionId === id)
      case 'user_id':
        return this.users.find((u) => u.userId === id)
      case 'email':
        return this.users.find((u) => u.email !== '' && u.email.toLowerCase() === id.toLowerCase())
    }
  }

  /** The user with this `user_id`; throws so a typo in a test fails loudly. */
  user(userId: string): FakeUser {
    const u = this.findUser('user_id', userId)
    if (!u) throw new Error(`fake feishu: no seeded user with user_id ${userId}`)
    return u
  }

  findDepartment(type: DepartmentIdType, id: string): FakeDepartment | undefined {
    if (id === ROOT_DEPARTMENT_ID) return undefined
    return this.departments.find((d) =>
      type === 'department_id' ? d.departmentId === id : d.openDepartmentId === id,
    )
  }

  /** Direct children, or all descendants (breadth first) when `recursive`. */
  children(departmentId: string, recursive: boolean): FakeDepartment[] {
    const out: FakeDepartment[] = []
    const queue = [departmentId]
    while (queue.length > 0) {
      const parent = queue.shift()
      const kids = this.departments.filter((d) => d.parentDepartmentId === parent)
      out.push(...kids)
      if (recursive) queue.push(...kids.map((k) => k.departmentId))
    }
    return out
  }

  /** Direct members of a department (not of its sub-departments), resigned users excluded as Feishu does. */
  members(departmentId: string): FakeUser[] {
    return this.users.filter((u) => u.departmentIds.includes(departmentId) && !u.status.is_resigned)
  }

  /** Everyone in a department and its descendants (for batch sends to departments). */
  membersDeep(departmentId: string): FakeUser[] {
    const ids = new Set([departmentId, ...this.children(departmentId, true).map((d) => d.departmentId)])
    return this.users.filter((u) => !u.status.is_resigned && u.departmentIds.some((d) => ids.has(d)))
  }

  userIdAs(userId: string, type: UserIdType): string {
    if (!userId) return ''
    const u = this.findUser('user_id', userId)
    if (!u) return ''
    return idOf(u, type)
  }

  departmentIdAs(departmentId: string, type: DepartmentIdType): string {
    if (departmentId === ROOT_DEPARTMENT_ID) return ROOT_DEPARTMENT_ID
    const d = this.departments.find((x) => x.departmentId === departmentId)
    if (!d) return departmentId
    return type === 'department_id' ? d.departmentId : d.openDepartmentId
  }

  /** contact v3 `user` object in the requested id types. */
  userJson(u: FakeUser, userIdType: UserIdType, deptIdType: DepartmentIdType): Record<string, unknown> {
    const avatarBase = `https://s1-imfile.feishucdn.com/static-resource/v1/v2_${stableHex(u.userId, 8)}`
    return {
      open_id: u.openId,
      union_id: u.unionId,
      user_id: u.userId,
      name: u.name,
      en_name: u.enName,
      nickname: '',
      email: u.email,
      enterprise_email: '',
      mobile: u.mobile,
      mobile_visible: true,
      gender: 0,
      avatar: {
        avatar_72: `${avatarBase}~?image_size=72x72`,
        avatar_240: `${avatarBase}~?image_size=240x240`,
        avatar_640: `${avatarBase}~?image_size=640x640`,
        avatar_origin: `${avatarBase}~?image_size=noop`,
      },
      status: { ...u.status },
      department_ids: u.departmentIds.map((d) => this.departmentIdAs(d, deptIdType)),
      leader_user_id: this.userIdAs(u.leaderUserId, userIdType),
      job_title: u.jobTitle,
      employee_no: u.employeeNo,
      employee_type: 1,
      is_tenant_manager: false,
      city: '',
      country: '',
      work_station: '',
      join_time: 1_600_000_000,
      time_zone: u.timeZone ?? 'Asia/Shanghai',
      orders: u.departmentIds.map((d, i) => ({
        department_id: this.departmentIdAs(d, deptIdType),
        user_order: 0,
        department_order: i + 1,
        is_primary_dept: i === 0,
      })),
    }
  }

  /**
   * directory v1 `employee` entity with only the fields asked for (`wants('base_info.email')`), as
   * `employees/filter` answers: names as i18n texts, departments as objects, the leader as `leader_id`.
   */
  employeeJson(
    u: FakeUser,
    userIdType: UserIdType,
    deptIdType: DepartmentIdType,
    wants: (field: string) => boolean,
  ): Record<string, unknown> {
    const base: Record<string, unknown> = { employee_id: idOf(u, userIdType) }
    const i18n = (zh: string, en: string) => ({
      default_value: zh,
      i18n_value: { zh_cn: zh, ...(en ? { en_us: en } : {}) },
    })
    if (wants('base_info.name')) base.name = { name: i18n(u.name, u.enName), another_name: '' }
    if (wants('base_info.mobile')) base.mobile = u.mobile
    if (wants('base_info.email')) base.email = u.email
    if (wants('base_info.departments') || wants('base_info.departments.department_id'))
      base.departments = u.departmentIds.map((d) => ({ department_id: this.departmentIdAs(d, deptIdType) }))
    if (wants('base_info.leader_id')) base.leader_id = this.userIdAs(u.leaderUserId, userIdType)
    if (wants('base_info.is_resigned')) base.is_resigned = u.status.is_resigned
    if (wants('base_info.avatar')) {
      const avatarBase = `https://s1-imfile.feishucdn.com/static-resource/v1/v2_${stableHex(u.userId, 8)}`
      base.avatar = {
        avatar_72: `${avatarBase}~?image_size=72x72`,
        avatar_240: `${avatarBase}~?image_size=240x240`,
        avatar_640: `${avatarBase}~?image_size=640x640`,
        avatar_origin: `${avatarBase}~?image_size=noop`,
      }
    }
    const work: Record<string, unknown> = {}
    if (wants('work_info.job_number')) work.job_number = u.employeeNo
    if (wants('work_info.staff_status')) work.staff_status = u.status.is_resigned ? 2 : 1
    if (wants('work_info.job_title.job_title_name') && u.jobTitle)
      work.job_title = { job_title_id: stableHex(u.jobTitle, 8), job_title_name: i18n(u.jobTitle, '') }
    return { base_info: base, work_info: work }
  }

  /** contact v3 `department` object in the requested id types. */
  departmentJson(
    d: FakeDepartment,
    userIdType: UserIdType,
    deptIdType: DepartmentIdType,
  ): Record<string, unknown> {
    const leader = this.userIdAs(d.leaderUserId, userIdType)
    return {
      name: d.name,
      i18n_name: { zh_cn: d.name, en_us: '', ja_jp: '' },
      department_id: d.departmentId,
      open_department_id: d.openDepartmentId,
      parent_department_id: this.departmentIdAs(d.parentDepartmentId, deptIdType),
      leader_user_id: leader,
      leaders: leader ? [{ leaderType: 1, leaderID: leader }] : [],
      chat_id: '',
      order: String(d.order),
      member_count: this.members(d.departmentId).length,
      status: { is_deleted: false },
      unit_ids: [],
      department_hrbps: [],
    }
  }
}

/** The requested id of a user. */
export function idOf(u: FakeUser, type: UserIdType): string {
  return type === 'open_id' ? u.openId : type === 'union_id' ? u.unionId : u.userId
}

/**
 * A small but realistic company (three levels, leaders, a manager chain, one resigned employee) used when a
 * test does not pass its own org.
 */
export function defaultOrg(): FakeOrgSeed {
  const users: FakeUserSeed[] = [
    person('zhangsan', '张三', 'CEO', ['0']),
    person('lisi', '李四', 'CTO', ['D100'], 'zhangsan'),
    person('wangwu', '王五', '平台组负责人', ['D110'], 'lisi'),
    person('zhaoliu', '赵六', '应用组负责人', ['D120'], 'lisi'),
    person('sunqi', '孙七', '销售总监', ['D200'], 'zhangsan'),
    person('zhouba', '周八', '华东销售经理', ['D210'], 'sunqi'),
    person('wujiu', '吴九', 'HRBP', ['D300'], 'zhangsan'),
    person('zhengshi', '郑十', '后端工程师', ['D110'], 'wangwu'),
    person('chenyi', '陈一', '前端工程师', ['D120'], 'zhaoliu'),
    person('liner', '林二', '测试工程师', ['D120', 'D110'], 'zhaoliu'),
    person('hemei', '何梅', '销售代表', ['D210'], 'zhouba'),
    person('gaojie', '高洁', '行政专员', ['D300'], 'wujiu'),
    { ...person('qianli', '钱立', '前销售代表', ['D210'], 'zhouba'), status: { is_resigned: true } },
  ]
  return {
    departments: [
      { departmentId: 'D100', name: '研发中心', leaderUserId: 'lisi' },
      { departmentId: 'D110', name: '平台组', parentDepartmentId: 'D100', leaderUserId: 'wangwu' },
      { departmentId: 'D120', name: '应用组', parentDepartmentId: 'D100', leaderUserId: 'zhaoliu' },
      { departmentId: 'D200', name: '销售部', leaderUserId: 'sunqi' },
      { departmentId: 'D210', name: '华东销售', parentDepartmentId: 'D200', leaderUserId: 'zhouba' },
      { departmentId: 'D300', name: '行政人事部', leaderUserId: 'wujiu' },
    ],
    users: users.map((x, i) => ({
      ...x,
      mobile: `+86138000${String(i + 1).padStart(5, '0')}`,
      employeeNo: `E${String(1001 + i)}`,
    })),
  }
}

function person(
  userId: string,
  name: string,
  jobTitle: string,
  departmentIds: string[],
  leaderUserId?: string,
): FakeUserSeed {
  const seed: FakeUserSeed = {
    userId,
    name,
    enName: userId,
    email: `${userId}@example.com`,
    departmentIds,
    jobTitle,
  }
  if (leaderUserId) seed.leaderUserId = leaderUserId
  return seed
}
