import { DemoDraw } from '../demo-records.js';
import type { OperateLogInput } from './operate-log-service.js';

const OPERATIONS = [
  ['Login', 'Log in to System 2'],
  ['Logout', 'Log out of System 2'],
  ['登录', '用户登录了系统'],
  ['设备控制', '关闭了客厅的灯'],
  ['Device control', 'Turned off the living room light'],
  ['修改密码', '修改了账号密码'],
  ['Create user', 'Created user operator_7 with role viewer'],
] as const;
const GEO = ['Shenzhen City, Guangdong Province', '杭州市 浙江省', 'Singapore', 'Frankfurt, Hesse'];

/** Demo operate logs (ids `op_demo_000001` …), in Chinese and English. */
export function demoOperateLogs(nowMs: number, count: number): OperateLogInput[] {
  const draw = new DemoDraw(20_260_417, nowMs, count);
  return Array.from({ length: draw.count }, (_, index): OperateLogInput => {
    const [operateType, content] = draw.pick(OPERATIONS);
    const userId = draw.user();
    return {
      id: `op_demo_${draw.serial(index)}`,
      tenant_id: draw.tenant(),
      record_time: draw.timeOf(index) + Math.floor(draw.random() * 1000),
      uid: `bay${draw.digits(13)}`,
      username: userId.replace('usr_', ''),
      operate_type: operateType,
      operate_content: content,
      user_id: userId,
      role: draw.pick(['admin', 'operator', 'viewer']),
      account: `180${draw.digits(8)}`,
      operate_geo_info: draw.pick(GEO),
      operate_ip_info: `${draw.pick(['192.0.2', '198.51.100', '203.0.113'])}.${Math.floor(draw.random() * 254) + 1}`,
      client_id: `demo${draw.hex(16)}`,
      merchant_code: draw.pick(['tuya', 'acme']),
      ext: '',
      project_code: `p${draw.digits(13)}${draw.hex(6)}`,
    };
  });
}
