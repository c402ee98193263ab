/**
 * The devchat simulator page: plain HTML, CSS and JS with no build step, so it works wherever the bot runs.
 * It renders the neutral card model directly (the same data every platform adapter renders).
 */
export const DEVCHAT_PAGE = /* html */ `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>devchat · flowcard 聊天模拟器</title>
<style>
  :root { --brand:#3370ff; --bg:#f5f6f7; --line:#e4e5e7; --text:#1f2329; --sub:#646a73; }
  * { box-sizing: border-box; }
  body { margin:0; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color:var(--text); background:var(--bg); }
  header { height:52px; display:flex; align-items:center; gap:12px; padding:0 16px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { font-size:16px; margin:0; }
  header .sub { color:var(--sub); font-size:12px; }
  header select { font-size:14px; padding:4px 8px; border:1px solid var(--line); border-radius:6px; }
  main { display:flex; height:calc(100vh - 52px); }
  nav { width:240px; background:#fff; border-right:1px solid var(--line); overflow:auto; }
  nav .chat { padding:12px 16px; cursor:pointer; border-bottom:1px solid #f0f1f2; }
  nav .chat.active { background:#e8efff; }
  nav .chat .name { font-weight:600; }
  nav .chat .hint { color:var(--sub); font-size:12px; }
  section { flex:1; display:flex; flex-direction:column; min-width:0; }
  #log { flex:1; overflow:auto; padding:16px 24px; }
  .row { display:flex; margin:10px 0; gap:8px; }
  .row.me { justify-content:flex-end; }
  .avatar { width:32px; height:32px; border-radius:50%; background:var(--brand); color:#fff; display:flex; align-items:center; justify-content:center; font-size:12px; flex:none; }
  .avatar.bot { background:#00b96b; }
  .who { font-size:12px; color:var(--sub); margin-bottom:2px; }
  .bubble { background:#fff; border:1px solid var(--line); padding:8px 12px; border-radius:8px; max-width:520px; white-space:pre-wrap; word-break:break-word; }
  .row.me .bubble { background:#d6e4ff; border-color:#bcd0ff; }
  .card { background:#fff; border:1px solid var(--line); border-radius:8px; width:440px; max-width:100%; overflow:hidden; box-shadow:0 1px 2px rgba(0,0,0,.04); }
  .card .hd { padding:10px 14px; color:#fff; font-weight:600; }
  .card .hd .subtitle { font-weight:400; font-size:12px; opacity:.9; }
  .card .hd .tag { display:inline-block; font-size:11px; font-weight:500; background:rgba(255,255,255,.25); border-radius:4px; padding:0 6px; margin-left:6px; }
  .hd.blue{background:#3370ff}.hd.green{background:#34c724}.hd.red{background:#f54a45}.hd.orange{background:#ff8800}
  .hd.grey{background:#8f959e}.hd.purple{background:#7f3bf5}.hd.turquoise{background:#14c0ff}.hd.yellow{background:#ffc60a;color:#1f2329}
  .card .bd { padding:10px 14px; display:flex; flex-direction:column; gap:8px; }
  .md p { margin:0; } .md ul { margin:0; padding-left:18px; } .md code { background:#f2f3f5; padding:0 4px; border-radius:3px; }
  .fields { display:grid; grid-template-columns:1fr 1fr; gap:6px 12px; }
  .fields .f.long { grid-column: 1 / -1; }
  .fields .l { color:var(--sub); font-size:12px; }
  .note { color:var(--sub); font-size:12px; }
  .chart .bar { display:flex; align-items:center; gap:6px; font-size:12px; margin:2px 0; }
  .chart .bl { width:64px; overflow:hidden; white-space:nowrap; text-overflow:ellipsis; }
  .chart .bv { display:inline-block; height:10px; background:#3370ff; border-radius:2px; }
  hr { border:none; border-top:1px solid var(--line); margin:2px 0; width:100%; }
  .btns { display:flex; flex-wrap:wrap; gap:8px; }
  button { font:inherit; border:1px solid var(--line); background:#fff; border-radius:6px; padding:4px 14px; cursor:pointer; }
  button.primary { background:var(--brand); border-color:var(--brand); color:#fff; }
  button.danger { background:#fff; border-color:#f54a45; color:#f54a45; }
  button:disabled { opacity:.5; cursor:not-allowed; }
  form.cf { display:flex; flex-direction:column; gap:6px; }
  form.cf label { font-size:12px; color:var(--sub); }
  form.cf input, form.cf textarea, form.cf select { font:inherit; border:1px solid var(--line); border-radius:6px; padding:4px 8px; width:100%; }
  .steps { list-style:none; margin:0; padding:0; }
  .steps li { position:relative; padding-left:18px; margin:2px 0; }
  .steps li::before { content:""; position:absolute; left:2px; top:7px; width:8px; height:8px; border-radius:50%; background:#bbbfc4; }
  .steps li.done::before { background:#34c724; } .steps li.current::before { background:#3370ff; }
  .steps li.rejected::before { background:#f54a45; } .steps li.skipped::before { background:#dee0e3; }
  .steps .d { color:var(--sub); font-size:12px; }
  .card img { max-width:100%; border-radius:4px; }
  footer { background:#fff; border-top:1px solid var(--line); padding:10px 16px; display:flex; gap:8px; }
  footer input { flex:1; font:inherit; padding:8px 10px; border:1px solid var(--line); border-radius:6px; }
  #toast { position:fixed; top:64px; left:50%; transform:translateX(-50%); padding:8px 16px; border-radius:6px; color:#fff; background:#1f2329; display:none; z-index:9; }
  #toast.error { background:#f54a45; } #toast.success { background:#34c724; } #toast.warning { background:#ff8800; }
  .empty { color:var(--sub); text-align:center; margin-top:40px; }
  @media (max-width: 720px) { nav { width:120px; } .card { width:100%; } }
</style>
</head>
<body>
<header>
  <h1>devchat</h1><span class="sub">flowcard 聊天模拟器 · chat simulator</span>
  <span style="flex:1"></span>
  <label>公司 / Company <select id="tenant" data-testid="tenant"></select></label>
  <button id="fresh" data-testid="fresh-company" title="新建一家第一天的公司：默认角色和模板，除安装应用的人外没有任何配置 / A company on its first day">新公司 / New company</button>
  <label>我是 / I am <select id="as" data-testid="as"></select></label>
</header>
<main>
  <nav id="chats" data-testid="chats"></nav>
  <section>
    <div id="log" data-testid="log"></div>
    <footer>
      <input id="text" data-testid="composer" placeholder="输入消息，例如「帮助」或 help；群聊中请 @flowcard" autocomplete="off">
      <button class="primary" id="send" data-testid="send">发送</button>
    </footer>
  </section>
</main>
<div id="toast" data-testid="toast"></div>
<script>
(() => {
  const qs = new URLSearchParams(location.search)
  const state = { tenant: qs.get('tenant') || 'demo', as: qs.get('as') || '', chat: qs.get('chat') || '', org: null, messages: [], en: false }
  const $ = (id) => document.getElementById(id)
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;' })[c])
  const api = async (path, body) => {
    const res = await fetch('/devchat/api/' + path, body ? { method:'POST', headers:{ 'content-type':'application/json' }, body: JSON.stringify(body) } : {})
    const json = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error((json.error && json.error.message) || res.statusText)
    return json
  }
  const toast = (kind, text) => {
    const t = $('toast'); t.className = kind || ''; t.textContent = text; t.style.display = 'block'
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.style.display = 'none' }, 2500)
  }
  const p2p = () => 'p2p:' + state.as
  const me = () => state.org.people.find((p) => p.openId === state.as)

  // Minimal markdown: escaping first, then bold, code, links, lists and line breaks.
  const md = (src) => {
    const lines = esc(src).split('\\n')
    let html = '', inList = false
    for (const line of lines) {
      const item = /^\\s*[-*] (.*)$/.exec(line)
      if (item) { if (!inList) { html += '<ul>'; inList = true } html += '<li>' + inline(item[1]) + '</li>'; continue }
      if (inList) { html += '</ul>'; inList = false }
      html += '<p>' + (inline(line) || '&nbsp;') + '</p>'
    }
    return html + (inList ? '</ul>' : '')
  }
  const inline = (s) => s
    .replace(/\\*\\*(.+?)\\*\\*/g, '<b>$1</b>')
    .replace(/\`([^\`]+)\`/g, '<code>$1</code>')
    .replace(/\\[([^\\]]+)\\]\\((https?:[^)\\s]+|\\/[^)\\s]*)\\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')

  const openLink = async (link) => {
    if (link.url) { window.open(link.url, '_blank'); return }
    const { code } = await api('login-code', { tenant: state.tenant, as: state.as })
    const sep = link.path.includes('?') ? '&' : '?'
    window.open('/app' + link.path + sep + 'devchat_code=' + encodeURIComponent(code), '_blank')
  }

  const renderButton = (b, msg, form) => {
    const el = document.createElement('button')
    el.textContent = b.text
    el.className = b.style || ''
    el.dataset.testid = 'card-button'
    if (b.disabled) el.disabled = true
    el.onclick = async (ev) => {
      ev.preventDefault()
      if (b.confirm && !window.confirm(b.confirm.title + '\\n' + b.confirm.text)) return
      if (b.link && !b.action) { await openLink(b.link); return }
      if (!b.action) return
      const formValues = {}
      if (form) {
        for (const input of form.querySelectorAll('[name]')) {
          if (input.required && !input.value) { toast('warning', '请填写「' + input.dataset.label + '」'); return }
          formValues[input.name] = input.multiple ? [...input.selectedOptions].map((o) => o.value) : input.value
        }
      }
      el.disabled = true
      try {
        const r = await api('actions', { tenant: state.tenant, as: state.as, messageId: msg.platformMessageId, payload: b.action, formValues })
        if (r.toast) toast(r.toast.kind, r.toast.text)
        if (r.card) { msg.card = r.card; renderLog() }
      } catch (e) { toast('error', e.message) } finally { el.disabled = false }
    }
    return el
  }

  const renderCard = (card, msg) => {
    const box = document.createElement('div')
    box.className = 'card'
    box.dataset.testid = 'card'
    const h = card.header || {}
    const tags = (h.tags || []).map((t) => '<span class="tag">' + esc(t.text) + '</span>').join('')
    box.innerHTML = '<div class="hd ' + esc(h.color || 'blue') + '" data-testid="card-title">' + esc(h.title) + tags +
      (h.subtitle ? '<div class="subtitle">' + esc(h.subtitle) + '</div>' : '') + '</div>'
    const bd = document.createElement('div'); bd.className = 'bd'; box.appendChild(bd)
    for (const el of card.elements || []) {
      if (el.type === 'markdown') { const d = document.createElement('div'); d.className = 'md'; d.innerHTML = md(el.text); bd.appendChild(d) }
      else if (el.type === 'note') { const d = document.createElement('div'); d.className = 'note'; d.textContent = el.text; bd.appendChild(d) }
      else if (el.type === 'divider') bd.appendChild(document.createElement('hr'))
      else if (el.type === 'chart') {
        const c = el.chart; const max = Math.max(0, ...c.points.map((p) => p.value))
        const fmt = (v) => c.unit === 'cents' ? '¥' + (v / 100).toFixed(2) : c.unit === 'percent' ? v + '%' : String(v)
        const d = document.createElement('div'); d.className = 'chart'; d.dataset.testid = 'card-chart'
        d.innerHTML = (c.title ? '<div class="l">' + esc(c.title) + '</div>' : '') + c.points.map((p) =>
          '<div class="bar"><span class="bl">' + esc(p.label) + '</span><span class="bv" style="width:' +
          (max > 0 ? Math.round((p.value / max) * 60) : 0) + '%"></span><span>' + esc(fmt(p.value)) + '</span></div>').join('')
        bd.appendChild(d)
      }
      else if (el.type === 'image') { const i = document.createElement('img'); i.alt = el.alt; if (el.url) i.src = el.url; bd.appendChild(i) }
      else if (el.type === 'fields') {
        const d = document.createElement('div'); d.className = 'fields'
        d.innerHTML = el.fields.map((f) => '<div class="f' + (f.short ? '' : ' long') + '"><div class="l">' + esc(f.label) + '</div><div>' + esc(f.value) + '</div></div>').join('')
        bd.appendChild(d)
      } else if (el.type === 'steps') {
        const ul = document.createElement('ul'); ul.className = 'steps'
        ul.innerHTML = el.steps.map((s) => '<li class="' + esc(s.state) + '">' + esc(s.title) + (s.detail ? ' <span class="d">' + esc(s.detail) + '</span>' : '') + '</li>').join('')
        bd.appendChild(ul)
      } else if (el.type === 'actions') {
        const d = document.createElement('div'); d.className = 'btns'
        for (const b of el.buttons) d.appendChild(renderButton(b, msg, null))
        bd.appendChild(d)
      } else if (el.type === 'form') {
        const f = document.createElement('form'); f.className = 'cf'; f.dataset.testid = 'card-form'
        for (const input of el.inputs) {
          const label = document.createElement('label'); label.textContent = input.label + (input.required ? ' *' : '')
          let field
          if (input.type === 'textarea') { field = document.createElement('textarea'); field.rows = 3 }
          else if (input.type === 'select' || input.type === 'multiselect' || input.type === 'person') {
            field = document.createElement('select'); if (input.type === 'multiselect') field.multiple = true
            const opts = input.type === 'person' && !input.options
              ? state.org.people.map((p) => ({ value: p.userId, label: p.name }))
              : (input.options || [])
            if (!field.multiple) field.appendChild(new Option(input.placeholder || (state.en ? 'Select' : '请选择'), ''))
            for (const o of opts) field.appendChild(new Option(o.label, o.value))
          } else {
            field = document.createElement('input')
            field.type = input.type === 'number' ? 'number' : input.type === 'date' ? 'date' : input.type === 'datetime' ? 'datetime-local' : 'text'
          }
          field.name = input.name; field.dataset.label = input.label
          if (input.placeholder) field.placeholder = input.placeholder
          if (input.required) field.required = true
          if (input.defaultValue) field.value = input.defaultValue
          if (input.maxLength) field.maxLength = input.maxLength
          field.dataset.testid = 'form-' + input.name
          label.appendChild(field); f.appendChild(label)
        }
        const d = document.createElement('div'); d.className = 'btns'
        for (const b of el.buttons) d.appendChild(renderButton(b, msg, f))
        f.appendChild(d); bd.appendChild(f)
      }
    }
    if (card.link) {
      const a = document.createElement('a'); a.href = '#'; a.textContent = state.en ? 'View details ›' : '查看详情 ›'; a.className = 'note'
      a.onclick = (e) => { e.preventDefault(); openLink(card.link) }; bd.appendChild(a)
    }
    return box
  }

  const renderLog = () => {
    const log = $('log')
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40
    log.innerHTML = ''
    if (state.messages.length === 0) log.innerHTML = '<div class="empty">还没有消息。试试输入「帮助」或 help。</div>'
    for (const m of state.messages) {
      const mine = m.direction === 'in' && m.userId === (me() && me().userId)
      const row = document.createElement('div'); row.className = 'row' + (mine ? ' me' : ''); row.dataset.testid = m.direction === 'out' ? 'bot-message' : 'user-message'
      const who = m.direction === 'out' ? 'flowcard' : (m.senderName || '')
      const av = '<div class="avatar' + (m.direction === 'out' ? ' bot' : '') + '">' + esc(m.direction === 'out' ? 'FC' : who.slice(-2)) + '</div>'
      const body = document.createElement('div')
      body.innerHTML = mine ? '' : '<div class="who">' + esc(who) + '</div>'
      if (m.kind === 'card' && m.card) body.appendChild(renderCard(m.card, m))
      else { const b = document.createElement('div'); b.className = 'bubble'; b.textContent = m.text || ''; body.appendChild(b) }
      if (m.status === 'failed') body.insertAdjacentHTML('beforeend', '<div class="note">发送失败</div>')
      row.innerHTML = mine ? '' : av
      row.appendChild(body)
      if (mine) row.insertAdjacentHTML('beforeend', av)
      log.appendChild(row)
    }
    if (atBottom) log.scrollTop = log.scrollHeight
  }

  const renderChats = () => {
    const nav = $('chats'); nav.innerHTML = ''
    const mine = me()
    const list = [{ chatId: p2p(), name: 'flowcard', hint: '与机器人私聊 · DM' }]
      .concat(state.org.groups.filter((g) => mine && g.members.includes(mine.userId)).map((g) => ({ chatId: g.chatId, name: g.name, hint: '群聊 · @flowcard' })))
    if (!list.some((c) => c.chatId === state.chat)) state.chat = p2p()
    for (const c of list) {
      const d = document.createElement('div'); d.className = 'chat' + (c.chatId === state.chat ? ' active' : '')
      d.dataset.testid = 'chat'; d.dataset.chat = c.chatId
      d.innerHTML = '<div class="name">' + esc(c.name) + '</div><div class="hint">' + esc(c.hint) + '</div>'
      d.onclick = () => { state.chat = c.chatId; syncUrl(); renderChats(); load() }
      nav.appendChild(d)
    }
  }

  const syncUrl = () => history.replaceState(null, '', '?tenant=' + encodeURIComponent(state.tenant) + '&as=' + encodeURIComponent(state.as) + '&chat=' + encodeURIComponent(state.chat))
  let loading = null
  const load = async () => {
    if (loading) { loading.again = true; return }
    loading = { again: false }
    try {
      do {
        loading.again = false
        const r = await api('messages?tenant=' + encodeURIComponent(state.tenant) + '&as=' + encodeURIComponent(state.as) + '&chat=' + encodeURIComponent(state.chat))
        state.messages = r.messages
        state.en = r.locale === 'en'
        renderLog()
      } while (loading.again)
    } catch (e) { toast('error', e.message) } finally { loading = null }
  }

  const send = async () => {
    const input = $('text'); const text = input.value.trim(); if (!text) return
    input.value = ''
    try { await api('messages', { tenant: state.tenant, as: state.as, chat: state.chat, text }); await load() }
    catch (e) { toast('error', e.message); input.value = text }
  }
  $('send').onclick = send
  $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) send() })

  // A company on its first day: the page moves to it, as its founder (who installed the app, so its admin).
  $('fresh').onclick = async () => {
    $('fresh').disabled = true
    try { const r = await api('tenants/fresh', {}); location.href = r.url }
    catch (e) { toast('error', e.message); $('fresh').disabled = false }
  }

  const start = async () => {
    const companies = await api('tenants')
    const tsel = $('tenant')
    for (const t of companies.tenants) tsel.appendChild(new Option(t.name || t.key, t.key))
    tsel.value = state.tenant
    tsel.onchange = () => { location.href = '?tenant=' + encodeURIComponent(tsel.value) }
    state.org = await api('org?tenant=' + encodeURIComponent(state.tenant))
    document.title = 'devchat · ' + state.org.tenant.name
    const sel = $('as')
    for (const p of state.org.people) sel.appendChild(new Option(p.name + ' · ' + (p.department || '') + (p.jobTitle ? ' · ' + p.jobTitle : ''), p.openId))
    if (!state.org.people.some((p) => p.openId === state.as)) state.as = (state.org.people[0] || {}).openId || ''
    sel.value = state.as
    sel.onchange = () => { state.as = sel.value; state.chat = p2p(); syncUrl(); renderChats(); load() }
    renderChats(); syncUrl(); await load()
    const es = new EventSource('/devchat/api/stream?tenant=' + encodeURIComponent(state.tenant))
    es.addEventListener('update', () => load())
    es.addEventListener('ready', () => { document.body.dataset.live = 'true'; load() })
  }
  start().catch((e) => toast('error', e.message))
})()
</script>
</body>
</html>
`
