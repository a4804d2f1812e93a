/**
 * The Community ID spec's own reference data, copied (values only) from corelight/community-id-spec
 * at commit c4ec2bc40d65ddbcbdd642582bf5609797a80772:
 *  - PACKETS: baseline/baseline_deflt.json, baseline_seed1.json and baseline_nob64.json, one row per
 *    distinct packet tuple of pcaps/combined.pcap.gz as pycommunityid's community-id-pcap reads it
 *    (ICMP rows give the port equivalents: type, then counterpart type or code);
 *  - TABLE: the three tables of baseline/README.md (hand-picked tuples, ICMP rows as type and code);
 *  - the spec README's example ID, `1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=`, is the router solicitation row.
 */

/** [IP protocol, saddr, sport, daddr, dport, seed 0, seed 1, seed 0 without base64 (hex)]; ports null: none. */
export type BaselineRow = [number, string, number | null, string, number | null, string, string, string];

export const PACKETS: readonly BaselineRow[] = [
  [58, 'fe80::200:86ff:fe05:80da', 135, 'fe80::260:97ff:fe07:69ea', 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=', '1:7461f21af8cc7e58e0e81a69c26ddb8342cef136'],
  [58, 'fe80::260:97ff:fe07:69ea', 136, 'fe80::200:86ff:fe05:80da', 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=', '1:7461f21af8cc7e58e0e81a69c26ddb8342cef136'],
  [58, 'fe80::260:97ff:fe07:69ea', 135, 'fe80::200:86ff:fe05:80da', 136, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=', '1:cdabf24ff71ecd0af57e6226602c189cc5db81c9'],
  [58, 'fe80::200:86ff:fe05:80da', 136, 'fe80::260:97ff:fe07:69ea', 135, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=', '1:cdabf24ff71ecd0af57e6226602c189cc5db81c9'],
  [58, '3ffe:501:1800:2345::2', 3, '3ffe:507:0:1:200:86ff:fe05:80da', 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ=', '1:lVEtCZpYu84Xqaa++3lXFyuu2n4=', '1:d8e6d5060227dbca19be26d866164c06087b59d4'],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', 1, '3ffe:507:0:1:200:86ff:fe05:80da', 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0=', '1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=', '1:84b65dd17196a23a33aefc6a13475607588ce91d'],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', 128, '3ffe:501:0:1001::2', 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ=', '1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908'],
  [58, '3ffe:501:0:1001::2', 129, '3ffe:507:0:1:200:86ff:fe05:80da', 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ=', '1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908'],
  [58, 'fe80::200:86ff:fe05:80da', 133, 'ff02::2', 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=', '1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=', '1:84efac3781fe306e4c63ff2122b5cfa9ce19433d'],
  [58, 'fe80::260:97ff:fe07:69ea', 134, 'ff02::1', 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00=', '1:K/ee5UCqAMAQXDorP5nSa2CGLjc=', '1:a64bc7a822fcf3fb60d64e1c3e282665752d2f4d'],
  [1, '192.168.0.89', 8, '192.168.0.1', 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA=', '1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839'],
  [1, '192.168.0.1', 0, '192.168.0.89', 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA=', '1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839'],
  [1, '10.0.0.1', 11, '10.0.0.2', 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM=', '1:XjUibYHaafLQ3pxQeiMI8g25q20=', '1:607c6d022ac21bfff43b391c540ba4a8a40df713'],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', 63943, '2607:f8b0:400c:c03::1a', 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw=', '1:fea15a78047e8057b52988cccd50ec32ffb0814e'],
  [6, '2607:f8b0:400c:c03::1a', 25, '2001:470:e5bf:dead:4957:2174:e82c:4887', 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw=', '1:fea15a78047e8057b52988cccd50ec32ffb0814e'],
  [132, '192.168.170.8', 7, '192.168.170.56', 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=', '1:30fd84b5108050866f4f0e8cc491cb57b37b243b'],
  [132, '192.168.170.56', 7, '192.168.170.8', 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=', '1:30fd84b5108050866f4f0e8cc491cb57b37b243b'],
  [6, '128.232.110.120', 34855, '66.35.250.204', 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc=', '1:2d053da9994af81e45dca0e67afea6e4f3226eb8'],
  [6, '66.35.250.204', 80, '128.232.110.120', 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc=', '1:2d053da9994af81e45dca0e67afea6e4f3226eb8'],
  [17, '192.168.1.52', 54585, '8.8.8.8', 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI=', '1:77f14fe445b7c22635bc29dd87095e451287a304'],
  [17, '8.8.8.8', 53, '192.168.1.52', 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI=', '1:77f14fe445b7c22635bc29dd87095e451287a304'],
  [46, '10.1.12.1', null, '10.1.12.2', null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI=', '1:28794b920a095bb89f513c934a0c957e4147ccac'],
  [46, '10.1.12.2', null, '10.1.12.1', null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI=', '1:28794b920a095bb89f513c934a0c957e4147ccac'],
];

const A6 = 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D';
const B6 = 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D';

/** baseline/README.md's tables; ICMP rows give the message's type and code, as a sensor reads them. */
export const TABLE: readonly BaselineRow[] = [
  [6, '1.2.3.4', 1122, '5.6.7.8', 3344, '1:wCb3OG7yAFWelaUydu0D+125CLM=', '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=', '1:c026f7386ef200559e95a53276ed03fb5db908b3'],
  [6, '5.6.7.8', 3344, '1.2.3.4', 1122, '1:wCb3OG7yAFWelaUydu0D+125CLM=', '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=', '1:c026f7386ef200559e95a53276ed03fb5db908b3'],
  [17, '1.2.3.4', 1122, '5.6.7.8', 3344, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=', '1:OShq+iKDAMVouh/4bMxB9Sz4amw=', '1:d0cbbd227431eb3e1988264cffb1d78b658c84e8'],
  [17, '5.6.7.8', 3344, '1.2.3.4', 1122, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=', '1:OShq+iKDAMVouh/4bMxB9Sz4amw=', '1:d0cbbd227431eb3e1988264cffb1d78b658c84e8'],
  [132, '1.2.3.4', 1122, '5.6.7.8', 3344, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=', '1:uitchpn5MMGAQKBJh7bIr/bAr7s=', '1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f'],
  [132, '5.6.7.8', 3344, '1.2.3.4', 1122, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=', '1:uitchpn5MMGAQKBJh7bIr/bAr7s=', '1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f'],
  [1, '1.2.3.4', 8, '5.6.7.8', 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=', '1:9pr4ZGTICiuZoIh90RRYE2RyXpU=', '1:72ba1d4472f6144b078dbbf752446b7dbb386d9d'],
  [1, '5.6.7.8', 0, '1.2.3.4', 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=', '1:9pr4ZGTICiuZoIh90RRYE2RyXpU=', '1:72ba1d4472f6144b078dbbf752446b7dbb386d9d'],
  [1, '1.2.3.4', 11, '5.6.7.8', 0, '1:f/YiSyWqczrTgfUCZlBUnvHRcPk=', '1:1DD7cWGC/Yg91YGsQeni8du3pIA=', '1:7ff6224b25aa733ad381f5026650549ef1d170f9'],
  [58, A6, 128, B6, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=', '1:IO27GQzPuCtNnwFvjWALMHu5tJE=', '1:d1b7fb872309530b777cc103ef3f0b21f46905ea'],
  [58, B6, 129, A6, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=', '1:IO27GQzPuCtNnwFvjWALMHu5tJE=', '1:d1b7fb872309530b777cc103ef3f0b21f46905ea'],
  [58, A6, 146, B6, 0, '1:fYC8+pz24E+EhANP1EZhpX0Dw10=', '1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=', '1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d'],
  [46, '1.2.3.4', null, '5.6.7.8', null, '1:ikv3kmf89luf73WPz1jOs49S768=', '1:/buhqeOmaRCopOZFy9HnoJd5XW8=', '1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf'],
  [46, '5.6.7.8', null, '1.2.3.4', null, '1:ikv3kmf89luf73WPz1jOs49S768=', '1:/buhqeOmaRCopOZFy9HnoJd5XW8=', '1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf'],
  [46, A6, null, B6, null, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=', '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=', '1:c10ff69b0ae75cfe259897077462f978f8d1f9ed'],
  [46, B6, null, A6, null, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=', '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=', '1:c10ff69b0ae75cfe259897077462f978f8d1f9ed'],
];
