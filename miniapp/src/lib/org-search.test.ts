import { describe, expect, it, vi } from 'vitest'
import type { Department, Person } from '@/api/org'
import { createOrgSearch, flattenDepartments, personOption } from './org-search'

const dept = (id: string, name: string, children: Department[] = []): Department => ({
  id,
  name,
  parentId: null,
  leader: null,
  memberCount: 1,
  children,
})
const tree = [dept('d_sales', '销售部', [dept('d_east', '华东区', [dept('d_sh', '上海组')]), dept('d_north', '华北区')]), dept('d_hr', '人事部')]
const person = (over: Partial<Person>): Person => ({
  id: 'usr_1',
  name: '张伟',
  enName: null,
  jobTitle: null,
  avatarUrl: null,
  departmentId: null,
  departmentName: null,
  ...over,
})

describe('org search', () => {
  it('lists the department tree with each one’s path as the hint', () => {
    expect(flattenDepartments(tree)).toEqual([
      { id: 'd_sales', label: '销售部' },
      { id: 'd_east', label: '华东区', hint: '销售部' },
      { id: 'd_sh', label: '上海组', hint: '销售部 / 华东区' },
      { id: 'd_north', label: '华北区', hint: '销售部' },
      { id: 'd_hr', label: '人事部' },
    ])
  })

  it('tells namesakes apart by department and title', () => {
    expect(personOption(person({ departmentName: '华东区', jobTitle: '销售经理' }))).toEqual({
      id: 'usr_1',
      label: '张伟',
      hint: '华东区 · 销售经理',
    })
    expect(personOption(person({}))).toEqual({ id: 'usr_1', label: '张伟' })
  })

  it('asks the bot for people, trimmed, and never for an empty query', async () => {
    const searchPeople = vi.fn(async () => [person({ id: 'usr_2', name: '王芳' })])
    const org = createOrgSearch({ searchPeople, listDepartments: async () => [] })
    expect(await org.people('  ')).toEqual([])
    expect(searchPeople).not.toHaveBeenCalled()
    expect(await org.people(' 王 ')).toEqual([{ id: 'usr_2', label: '王芳' }])
    expect(searchPeople).toHaveBeenCalledWith({ q: '王', limit: 20 })
  })

  it('loads the tree once and matches departments by name or path', async () => {
    const listDepartments = vi.fn(async () => tree)
    const org = createOrgSearch({ searchPeople: async () => [], listDepartments })
    expect((await org.departments('华东')).map((d) => d.id)).toEqual(['d_east', 'd_sh'])
    expect((await org.departments('人事')).map((d) => d.id)).toEqual(['d_hr'])
    expect(await org.departments('财务')).toEqual([])
    expect(listDepartments).toHaveBeenCalledOnce()
  })

  it('tries the tree again after a failed load', async () => {
    const listDepartments = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(tree)
    const org = createOrgSearch({ searchPeople: async () => [], listDepartments })
    await expect(org.departments('销售')).rejects.toThrow('offline')
    expect((await org.departments('上海')).map((d) => d.id)).toEqual(['d_sh'])
    expect(listDepartments).toHaveBeenCalledTimes(2)
  })
})
