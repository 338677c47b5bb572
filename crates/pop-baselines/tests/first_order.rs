//! First-order baselines: golden trajectories against PyTorch, conformance, L-BFGS on Rosenbrock
//! and in the box, the failure rule, names and configuration checks.

use pop_baselines::first_order::{
    AdamConfig, GdConfig, LbfgsConfig, MomentumConfig, RmsPropConfig,
};
use pop_bench_fns::{Bounds, Objective};
use pop_optim::harness::{RunOptions, run};
use pop_optim::testing::conformance;
use pop_optim::{Evaluation, Method, OptimError, RunContext};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `f(z) = (0.6 − z0)² + 4 (z1 − z0²)² + 1.5 (z2 + 0.3 z1)²` on `[−1, 1]^3`, so `z = x`.
struct Golden(Bounds);

impl Objective for Golden {
    fn name(&self) -> &str {
        "golden"
    }
    fn bounds(&self) -> &Bounds {
        &self.0
    }
    fn evaluate(&self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let a = 0.6 - z[0];
        let b = z[1] - z[0] * z[0];
        let c = z[2] + 0.3 * z[1];
        if let Some(g) = grad {
            g[0] = -2.0 * a - 16.0 * b * z[0];
            g[1] = 8.0 * b + 0.9 * c;
            g[2] = 3.0 * c;
        }
        a * a + 4.0 * b * b + 1.5 * c * c
    }
}

// Golden iterates (start included, then 20 steps) printed by
// `tests/reference/first_order_torch.py` (torch 2.15.0, float64; the script holds the exact
// torch calls). Each constant is preceded by the config that reproduces it here.

// GdConfig { lr: 1e-2 }
const GD: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.49, 0.38152, 0.5784],
    [-0.479287328, 0.36397069600000004, 0.55761432],
    [-0.46799700707624337, 0.3472290979833104, 0.537610154136],
    [-0.45623721304348575, 0.3311964560834524, 0.5183567876300702],
    [-0.4440944335359627, 0.3157934896419352, 0.49982531589641704],
    [-0.431637806668289, 0.3009565294772896, 0.48198841501274714],
    [
        -0.41892269217078354,
        0.28663442444603593,
        0.4648201537970691,
    ],
    [-0.4059935687217955, 0.2727860739214245, 0.4482958393631427],
    [-0.39288636229409735, 0.2593784652813312, 0.4323918895169556],
    [
        -0.37963030595195024,
        0.2463851146910476,
        0.41708572664391497,
    ],
    [
        -0.36624942018112017,
        0.23378482770207643,
        0.4023556888123781,
    ],
    [-0.3527636892624765, 0.22156071227444385, 0.3881809546986881],
    [-0.33918999587200127, 0.209699390414025, 0.3745414796472574],
    [-0.3255428641310592, 0.19819036577393168, 0.3614179407441135],
    [-0.311835051128724, 0.18702551356866276, 0.3487916892298247],
    [-0.29807801850175186, 0.17619866632246223, 0.336644708930812],
    [-0.2842823088217665, 0.16570527464633175, 0.3249595796659855],
    [-0.27045784607477, 0.155542126704809, 0.31371944480418895],
    [-0.2566141751909213, 0.14570711354335592, 0.30290798231972],
    [
        -0.24276065217919773,
        0.13619903020515625,
        0.2925093788282382,
    ],
];
// MomentumConfig { lr: 1e-2, momentum: 0.9, dampening: 0.0, nesterov: false }
const MOMENTUM: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.49, 0.38152, 0.5784],
    [-0.470287328, 0.347338696, 0.53817432],
    [-0.4406338500092189, 0.30070065703099036, 0.482699930136],
    [-0.40064443762324387, 0.2450468334331105, 0.4155856754410411],
    [-0.35005976925709, 0.18379402522300667, 0.3405098544514488],
    [-0.288963080359565, 0.12020549062209368, 0.26107217370026525],
    [
        -0.21789385944227116,
        0.057365138788393534,
        0.18066424639759326,
    ],
    [
        -0.13791838819473998,
        -0.001763034338703222,
        0.10236089818416513,
    ],
    [
        -0.05072344559357659,
        -0.05423211675275823,
        0.02883292515560319,
    ],
    [
        0.04122748678736536,
        -0.09702296176172429,
        -0.03771914927399583,
    ],
    [
        0.13450756219974214,
        -0.127035474535289,
        -0.09561123512655956,
    ],
    [
        0.2246461538593734,
        -0.1412330184281764,
        -0.14370245606925253,
    ],
    [
        0.3063876555197397,
        -0.13700024364763685,
        -0.18140238406974504,
    ],
    [
        0.37450936062272555,
        -0.11271833310247338,
        -0.2086572455552672,
    ],
    [
        0.42517003151125554,
        -0.06844431135873089,
        -0.22591243852765688,
    ],
    [
        0.45730791184736397,
        -0.006442570837624122,
        -0.2340487402447493,
    ],
    [0.4733125206530403, 0.06872867700090195, -0.2342919664452514],
    [
        0.47848984663386157,
        0.15072954554216286,
        -0.22810066912535387,
    ],
    [
        0.4795910182150185,
        0.23243410250162472,
        -0.21704204737356492,
    ],
    [
        0.48317645312202356,
        0.30709988549481954,
        -0.20266993329826255,
    ],
];
// MomentumConfig { lr: 1e-2, momentum: 0.9, dampening: 0.0, nesterov: true }
const NESTEROV: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.481, 0.364888, 0.55896],
    [-0.45134685204799996, 0.31819300456, 0.5033636952],
    [-0.41062482746589585, 0.26355504559932036, 0.437241702675624],
    [
        -0.35890670358400384,
        0.20421372758056536,
        0.36447052417876263,
    ],
    [-0.2967259323921774, 0.14308366562344965, 0.2886499107533666],
    [
        -0.2250157533806111,
        0.08290822382424626,
        0.21300641842163648,
    ],
    [
        -0.14512323573751615,
        0.02642507423417201,
        0.1403207041275423,
    ],
    [
        -0.058946410706821224,
        -0.023509481151096433,
        0.07287614226854387,
    ],
    [
        0.03083612769480847,
        -0.06388752527538955,
        0.012426810726562472,
    ],
    [
        0.12057074787584936,
        -0.09166677569676814,
        -0.039816210146498894,
    ],
    [
        0.2057004244071011,
        -0.10409692676717187,
        -0.08317986815460242,
    ],
    [
        0.28135930522183294,
        -0.09926536725759176,
        -0.1175033889864639,
    ],
    [
        0.3435384707937169,
        -0.07674550672023274,
        -0.14308846832979433,
    ],
    [
        0.3903985517952909,
        -0.03807279741558319,
        -0.16062328985649849,
    ],
    [
        0.42294922547275754,
        0.013259624633566088,
        -0.17108308412224368,
    ],
    [
        0.4446127625689424,
        0.07238311852643796,
        -0.17561712123287213,
    ],
    [0.4599796918094303, 0.1339925391746717, -0.1754371703607348],
    [0.47350626380004246, 0.1932790860639685, -0.1717219272983596],
    [
        0.48865371209574954,
        0.24660129286600105,
        -0.1655465950903343,
    ],
    [0.5075110793682577, 0.291820422739131, -0.15784045373090863],
];
// MomentumConfig { lr: 2e-2, momentum: 0.8, dampening: 0.5, nesterov: false }
const MOMENTUM_DAMPENED: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.48, 0.36304000000000003, 0.5568],
    [-0.452586752, 0.316869392, 0.5022686399999999],
    [
        -0.41771728040781114,
        0.2655941705684728,
        0.44072366827199994,
    ],
    [
        -0.37555643530286775,
        0.21260186061089412,
        0.3758756333063237,
    ],
    [-0.3266165548762679, 0.16052636896034508, 0.3108075195890949],
    [
        -0.2717463428978338,
        0.11132744716412284,
        0.24798406570699594,
    ],
    [
        -0.21204491459240207,
        0.06643735924557688,
        0.18928383360562975,
    ],
    [
        -0.1487714366897357,
        0.02692440846304016,
        0.13604719668315773,
    ],
    [
        -0.08329127900842406,
        -0.006366390283052818,
        0.08913415156851802,
    ],
    [
        -0.017064032434671198,
        -0.03271974119492666,
        0.04898698844229817,
    ],
    [
        0.0483491733851038,
        -0.051514087727351464,
        0.015694125958807693,
    ],
    [
        0.11129616471000724,
        -0.06224358562650678,
        -0.010947361017202761,
    ],
    [
        0.17009886171912345,
        -0.06459016626303153,
        -0.03137193749685648,
    ],
    [
        0.2231937156830482,
        -0.058528786764175604,
        -0.04618912905930648,
    ],
    [
        0.2693366446419781,
        -0.044438415560527356,
        -0.0561304493566097,
    ],
    [
        0.3078231070660034,
        -0.023182509334783722,
        -0.06199964637370924,
    ],
    [
        0.3386471891604479,
        0.0038778112046626415,
        -0.06462637201216455,
    ],
    [
        0.3625297511232545,
        0.03496156349580539,
        -0.06482386166340581,
    ],
    [
        0.38078970357100095,
        0.06803488441854624,
        -0.0633517916059589,
    ],
    [
        0.3950926190498759,
        0.10103728620743405,
        -0.06088589577158952,
    ],
];
// AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
const ADAM: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.49900000001, 0.3990000000054113, 0.5990000000046296],
    [-0.49799998940859125, 0.398000016682399, 0.5980000475230367],
    [-0.49699996060172874, 0.3970000614212984, 0.5970001742269291],
    [-0.4959999056311199, 0.39600014578779974, 0.5960004116959351],
    [-0.4949998161965448, 0.39500028149694727, 0.5950007913475451],
    [-0.4939996836795115, 0.3940004803867859, 0.5940013443686187],
    [-0.4929994991680506, 0.39300075439186594, 0.5930021016489724],
    [-0.4919992534824433, 0.39200111551681294, 0.5920030937175288],
    [-0.4909989372016718, 0.39100157581016676, 0.5910043506814711],
    [
        -0.48999854069037596,
        0.39000214733868416,
        0.5900059021687982,
    ],
    [-0.48899805412610114, 0.3890028421622902, 0.5890077772746318],
    [-0.4879974675266262, 0.3880036723098496, 0.5880100045115674],
    [-0.4869967707771655, 0.3870046497559149, 0.5870126117643119],
    [-0.4859959536572494, 0.3860057863985912, 0.5860156262487902],
    [
        -0.48499500586709826,
        0.38500709403863925,
        0.5850190744758483,
    ],
    [-0.48399391705331984, 0.3840085843599206, 0.5840229822196241],
    [-0.4829926768337741, 0.383010268911267, 0.5830273744906055],
    [-0.48199127482146803, 0.38201215908984, 0.5820322755133425],
    [-0.480989700647359, 0.38101426612602457, 0.5810377087087352],
    [-0.47998794398196565, 0.380016601069884, 0.5800436966807752],
];
// AdamConfig { lr: 5e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6 }
const ADAM_FAST: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [
        -0.45000004999994997,
        0.35000002705626243,
        0.5500000231481375,
    ],
    [-0.3999099102892822, 0.300126914386466, 0.5003063747760487],
    [-0.3496023406346913, 0.25057271759849664, 0.4511639927431367],
    [-0.2989550806691206, 0.2016322529223823, 0.4028498351847026],
    [
        -0.24787862359604468,
        0.15372827731939154,
        0.3556725585467925,
    ],
    [
        -0.19633638612522603,
        0.10744348547324475,
        0.3099700692522598,
    ],
    [-0.144362425563778, 0.0635562363247553, 0.2661039570699887],
    [
        -0.09208033335458368,
        0.02306973807398177,
        0.22444969512767712,
    ],
    [
        -0.039725377428815045,
        -0.012787724980954165,
        0.18538161856516505,
    ],
    [
        0.012330246974695945,
        -0.0426272123705915,
        0.14925229656131805,
    ],
    [
        0.06355313762529843,
        -0.06506250960623075,
        0.11636719583186447,
    ],
    [
        0.11323567442871185,
        -0.07896650045485545,
        0.08695743793089691,
    ],
    [
        0.1605116813297463,
        -0.08373822150844511,
        0.06115531718079822,
    ],
    [
        0.20442153851185052,
        -0.0794540434947793,
        0.03897783997364197,
    ],
    [
        0.24403982206340896,
        -0.06683576823550402,
        0.02032199327875549,
    ],
    [
        0.27865393639826436,
        -0.04708505535837995,
        0.004972364113769974,
    ],
    [
        0.3079463770214974,
        -0.02168992926231043,
        -0.007381123407909442,
    ],
    [
        0.3321114983242827,
        0.00772408484446567,
        -0.017118933386299415,
    ],
    [
        0.3518564341996931,
        0.03948644525664832,
        -0.02466456193267512,
    ],
    [
        0.3682855340344685,
        0.07194423328158515,
        -0.030456745295401294,
    ],
];
// RmsPropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0.0, centered: false }
const RMSPROP: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.4000000099999991, 0.30000000541125516, 0.5000000046296295],
    [
        -0.32571703702127974,
        0.23318994843253127,
        0.43642729224645177,
    ],
    [-0.2630530814877254, 0.18181084032083855, 0.3883445324394036],
    [-0.2077832237080798, 0.14034312151416622, 0.3494135549716988],
    [-0.15804029466444292, 0.10627877959691767, 0.316725031285478],
    [
        -0.11282819269896899,
        0.07823262760957567,
        0.2886489486824784,
    ],
    [
        -0.07153983090754332,
        0.05532620865750082,
        0.2641546408950803,
    ],
    [
        -0.03375952669616029,
        0.036930616930384054,
        0.24253460248591938,
    ],
    [
        0.0008302069180905758,
        0.022542608802992373,
        0.22327359560507334,
    ],
    [
        0.032496245100071194,
        0.011720889431097987,
        0.20597975002452953,
    ],
    [
        0.0614796794955737,
        0.004054127490396861,
        0.19034541202879374,
    ],
    [
        0.0880081098129426,
        -0.0008524555743788121,
        0.1761235126900351,
    ],
    [
        0.11230063133536747,
        -0.0033793691936912793,
        0.16311252576404964,
    ],
    [
        0.13456860073619226,
        -0.0038890747492653565,
        0.1511463833372395,
    ],
    [
        0.15501420443609346,
        -0.0027198533668445603,
        0.14008734835249198,
    ],
    [
        0.17382820750010838,
        -0.00017989324576029014,
        0.12982071101142267,
    ],
    [
        0.19118777583006794,
        0.003456904886594271,
        0.12025066145874479,
    ],
    [0.2072548720306727, 0.0079528280427334, 0.11129696828398591],
    [
        0.22217542290963918,
        0.013106044072900457,
        0.10289224922144195,
    ],
    [
        0.23607924950412082,
        0.018748547998460964,
        0.09497970642841477,
    ],
];
// RmsPropConfig { lr: 1e-3, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true }
const RMSPROP_CENTERED_MOMENTUM: [[f64; 3]; 21] = [
    [-0.5, 0.4, 0.6],
    [-0.49666666677777777, 0.39666666672679174, 0.596666666718107],
    [-0.49244922204866454, 0.3924535474810773, 0.5924582408166463],
    [
        -0.48808685476446084,
        0.38810265926471926,
        0.5881191786704956,
    ],
    [-0.48379448157473565, 0.3838302601696354, 0.5838663220859074],
    [-0.479606568042102, 0.3796713877451452, 0.5797344882191152],
    [-0.4754982590987039, 0.3756014975159624, 0.5756987231730802],
    [-0.4714294784711486, 0.37158084873412484, 0.5717189631951064],
    [-0.46736019647450155, 0.3675699149683596, 0.5677555402978249],
    [-0.463254814073219, 0.36353383230989317, 0.5637736455620632],
    [-0.4590826223135927, 0.3594428855632267, 0.5597438021748126],
    [-0.45481703064963297, 0.3552717492652045, 0.5556410885614134],
    [-0.450434563818165, 0.35099849528683214, 0.5514441327523151],
    [-0.4459139588801753, 0.34660370441686744, 0.5471342183984182],
    [-0.4412354406203113, 0.34206976264797684, 0.5426945836734605],
    [-0.43638016610538144, 0.3373803339976932, 0.5381099047012077],
    [-0.4313298060113553, 0.3325199779574963, 0.5333659314408665],
    [-0.4260662300735713, 0.3274738793594834, 0.5284492439523052],
    [-0.4205712705262823, 0.3222276651827783, 0.5233471040184831],
    [
        -0.41482654478138936,
        0.31676729060333264,
        0.5180473851207621,
    ],
    [
        -0.40881332503927564,
        0.31107898359608743,
        0.5125385708268309,
    ],
];

/// Every step method reproduces torch.optim's float64 trajectory to 1e-10 relative, driven
/// through the harness (box `[−1, 1]^3`, so the recorded `x` is `z`; the box never acts).
#[test]
fn golden_trajectories() -> TestResult {
    let f = Golden(Bounds::cube(3, -1.0, 1.0)?);
    let cases: [(&dyn Method, &str, &[[f64; 3]; 21]); 8] = [
        (&GdConfig { lr: 1e-2 }, "gd_lr1e-2", &GD),
        (
            &MomentumConfig {
                lr: 1e-2,
                momentum: 0.9,
                dampening: 0.0,
                nesterov: false,
            },
            "momentum_lr1e-2_m0.9",
            &MOMENTUM,
        ),
        (
            &MomentumConfig {
                lr: 1e-2,
                momentum: 0.9,
                dampening: 0.0,
                nesterov: true,
            },
            "nesterov_lr1e-2_m0.9",
            &NESTEROV,
        ),
        (
            &MomentumConfig {
                lr: 2e-2,
                momentum: 0.8,
                dampening: 0.5,
                nesterov: false,
            },
            "momentum_lr2e-2_m0.8_damp0.5",
            &MOMENTUM_DAMPENED,
        ),
        (
            &AdamConfig {
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            "adam_lr1e-3",
            &ADAM,
        ),
        (
            &AdamConfig {
                lr: 5e-2,
                beta1: 0.8,
                beta2: 0.99,
                eps: 1e-6,
            },
            "adam_lr5e-2_b10.8_b20.99_eps1e-6",
            &ADAM_FAST,
        ),
        (
            &RmsPropConfig {
                lr: 1e-2,
                alpha: 0.99,
                eps: 1e-8,
                momentum: 0.0,
                centered: false,
            },
            "rmsprop_lr1e-2",
            &RMSPROP,
        ),
        (
            &RmsPropConfig {
                lr: 1e-3,
                alpha: 0.9,
                eps: 1e-8,
                momentum: 0.5,
                centered: true,
            },
            "rmsprop_lr1e-3_a0.9_m0.5_centered",
            &RMSPROP_CENTERED_MOMENTUM,
        ),
    ];
    for (method, name, expected) in cases {
        assert_eq!(method.name(), name);
        let opts = RunOptions {
            record_iterates: true,
        };
        let rec = run(&f, method, &expected[0], expected.len(), 0, opts)?;
        let got = rec.iterates.ok_or("iterates were not recorded")?;
        assert_eq!(got.len(), expected.len());
        for (k, (g, e)) in got.iter().zip(expected.iter()).enumerate() {
            for i in 0..3 {
                let err = (g[i] - e[i]).abs();
                assert!(
                    err <= 1e-10 * e[i].abs() + 1e-15,
                    "{name}: step {k}, coordinate {i}: ours {} vs torch {} (error {err:e})",
                    g[i],
                    e[i]
                );
            }
        }
    }
    Ok(())
}

#[test]
fn every_method_passes_conformance() -> TestResult {
    conformance(&GdConfig::default())?;
    conformance(&MomentumConfig::default())?;
    conformance(&MomentumConfig {
        nesterov: true,
        ..MomentumConfig::default()
    })?;
    conformance(&AdamConfig::default())?;
    conformance(&RmsPropConfig::default())?;
    conformance(&RmsPropConfig {
        momentum: 0.9,
        centered: true,
        ..RmsPropConfig::default()
    })?;
    conformance(&LbfgsConfig::default())?;
    Ok(())
}

#[test]
fn default_names() {
    assert_eq!(GdConfig::default().name(), "gd_lr1e-3");
    assert_eq!(MomentumConfig::default().name(), "momentum_lr1e-3_m0.9");
    let nesterov = MomentumConfig {
        nesterov: true,
        ..MomentumConfig::default()
    };
    assert_eq!(nesterov.name(), "nesterov_lr1e-3_m0.9");
    assert_eq!(AdamConfig::default().name(), "adam_lr1e-3");
    assert_eq!(RmsPropConfig::default().name(), "rmsprop_lr1e-2");
    assert_eq!(LbfgsConfig::default().name(), "lbfgs_m10");
    let lbfgs = LbfgsConfig {
        memory: 5,
        c1: 1e-4,
        max_trials: 30,
        ..LbfgsConfig::default()
    };
    assert_eq!(lbfgs.name(), "lbfgs_m5_c11e-4_ls30");
    let lbfgs = LbfgsConfig {
        pgtol: 1e-8,
        ftol: 0.0,
        restart: false,
        ..LbfgsConfig::default()
    };
    assert_eq!(lbfgs.name(), "lbfgs_m10_pg1e-8_ft0_norestart");
    let methods: [&dyn Method; 5] = [
        &GdConfig::default(),
        &MomentumConfig::default(),
        &AdamConfig::default(),
        &RmsPropConfig::default(),
        &LbfgsConfig::default(),
    ];
    assert!(methods.iter().all(|m| m.uses_gradient()));
}

/// L-BFGS with its stopping tests off (`pgtol = ftol = 0`) from the standard start (−1.2, 1) on
/// the VLSE box [−5, 10]² reaches the minimum (1, 1) to 1e-6 within 200 calls, and makes exactly
/// the budget's calls at every budget (default configuration).
#[test]
fn lbfgs_solves_rosenbrock() -> TestResult {
    let f = pop_bench_fns::registry::build("rosenbrock", Some(2))?;
    let no_tests = LbfgsConfig {
        pgtol: 0.0,
        ftol: 0.0,
        ..LbfgsConfig::default()
    };
    let rec = run(&f, &no_tests, &[-1.2, 1.0], 200, 0, RunOptions::default())?;
    assert_eq!(rec.values.len(), 200);
    assert_eq!(rec.failed_calls, 0);
    let err = rec
        .best_x
        .iter()
        .map(|x| (x - 1.0).abs())
        .fold(0.0, f64::max);
    assert!(
        err <= 1e-6,
        "best x {:?} (f = {:e})",
        rec.best_x,
        rec.final_best()
    );
    assert!(rec.final_best() <= 1e-12, "best f {:e}", rec.final_best());
    // Here: below 1e-12 at call 51, as SciPy 1.17.1's L-BFGS-B on the same z-space problem,
    // `minimize(f, z0, jac=True, method="L-BFGS-B", bounds=[(-1, 1)] * 2,
    // options=dict(ftol=0, gtol=0))` (also at call 51; at its defaults SciPy stops there by the
    // projected gradient).
    let reached = rec.best.iter().position(|b| *b <= 1e-12);
    assert!(reached.is_some_and(|k| k < 100), "{reached:?}");
    for budget in [1, 2, 3, 7, 50] {
        let rec = run(
            &f,
            &LbfgsConfig::default(),
            &[-1.2, 1.0],
            budget,
            0,
            RunOptions::default(),
        )?;
        assert_eq!(rec.values.len(), budget);
    }
    Ok(())
}

/// A quadratic on [−1, 1]² whose minimiser (2, 0.3) lies outside the box in z0; optionally `+∞`
/// for z1 > `wall` (failed calls).
struct OutsideMin {
    bounds: Bounds,
    wall: f64,
}

impl Objective for OutsideMin {
    fn name(&self) -> &str {
        "outside-min"
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn evaluate(&self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (a, b) = (z[0] - 2.0, z[1] - 0.3);
        if let Some(g) = grad {
            g[0] = 2.0 * a + 0.8 * b;
            g[1] = 8.0 * b + 0.8 * a;
        }
        if z[1] > self.wall {
            return f64::INFINITY;
        }
        a * a + 4.0 * b * b + 0.8 * a * b
    }
}

/// With z0 held at its bound the minimum is at z1 = 0.3 − 0.1 (z0 − 2) = 0.4; L-BFGS finds it.
#[test]
fn lbfgs_respects_the_box() -> TestResult {
    let f = OutsideMin {
        bounds: Bounds::cube(2, -1.0, 1.0)?,
        wall: f64::INFINITY,
    };
    let rec = run(
        &f,
        &LbfgsConfig::default(),
        &[-0.5, -0.7],
        60,
        0,
        RunOptions::default(),
    )?;
    assert!((rec.best_x[0] - 1.0).abs() <= 1e-12, "{:?}", rec.best_x);
    assert!((rec.best_x[1] - 0.4).abs() <= 1e-6, "{:?}", rec.best_x);
    // A wall of failed calls at z1 > 0.2: the run backtracks and ends next to the wall.
    let f = OutsideMin {
        bounds: Bounds::cube(2, -1.0, 1.0)?,
        wall: 0.2,
    };
    let opts = RunOptions {
        record_iterates: true,
    };
    let rec = run(&f, &LbfgsConfig::default(), &[-0.5, -0.7], 60, 0, opts)?;
    assert!(rec.failed_calls > 0);
    assert!(rec.final_best().is_finite());
    assert!(
        rec.best_x[1] <= 0.2 && rec.best_x[1] > 0.1,
        "{:?}",
        rec.best_x
    );
    let iterates = rec.iterates.ok_or("iterates were not recorded")?;
    assert!(
        iterates
            .iter()
            .flatten()
            .all(|v| v.is_finite() && v.abs() <= 1.0)
    );
    Ok(())
}

fn ctx(dim: usize) -> RunContext {
    RunContext {
        dim,
        budget: 100,
        seed: 3,
    }
}

/// A failed call sends a step method back to its last good iterate with half the step, and the
/// halving is kept afterwards.
#[test]
fn failed_calls_halve_the_step() -> TestResult {
    let gd = GdConfig { lr: 0.1 };
    let (z0, g0) = ([0.2, -0.4], [1.0, -2.0]);
    let first = Evaluation {
        z: &z0,
        value: 1.0,
        gradient: Some(&g0),
    };
    let mut opt = gd.start(&ctx(2), &first)?;
    let mut z = [0.0; 2];
    opt.ask(&mut z)?;
    assert_eq!(z, [0.2 - 0.1, -0.4 + 0.2]);
    let failed = Evaluation {
        z: &z,
        value: f64::INFINITY,
        gradient: None,
    };
    opt.tell(&failed)?;
    opt.ask(&mut z)?;
    assert_eq!(z, [0.2 - 0.05, -0.4 + 0.1]);
    let failed = Evaluation {
        z: &z,
        value: f64::INFINITY,
        gradient: None,
    };
    opt.tell(&failed)?;
    opt.ask(&mut z)?;
    assert_eq!(z, [0.2 - 0.025, -0.4 + 0.05]);
    // Success: the next step is a quarter of lr · g.
    let z1 = z;
    let g1 = [0.5, 0.5];
    opt.tell(&Evaluation {
        z: &z1,
        value: 0.5,
        gradient: Some(&g1),
    })?;
    opt.ask(&mut z)?;
    assert_eq!(z, [z1[0] - 0.25 * 0.1 * 0.5, z1[1] - 0.25 * 0.1 * 0.5]);

    // Adam: the retaken step is half the first one, and the moments did not see the failure.
    let adam = AdamConfig::default();
    let mut opt = adam.start(&ctx(2), &first)?;
    opt.ask(&mut z)?;
    let step: Vec<f64> = z.iter().zip(&z0).map(|(a, b)| b - a).collect();
    let failed = Evaluation {
        z: &z,
        value: f64::INFINITY,
        gradient: None,
    };
    opt.tell(&failed)?;
    opt.ask(&mut z)?;
    for i in 0..2 {
        assert!((z[i] - (z0[i] - 0.5 * step[i])).abs() < 1e-15);
    }
    Ok(())
}

/// A failed start: every method asks points in the box, deterministic in the seed.
#[test]
fn failed_start_asks_random_points_in_the_box() -> TestResult {
    let methods: [&dyn Method; 5] = [
        &GdConfig::default(),
        &MomentumConfig::default(),
        &AdamConfig::default(),
        &RmsPropConfig::default(),
        &LbfgsConfig::default(),
    ];
    let z0 = [0.0; 3];
    let first = Evaluation {
        z: &z0,
        value: f64::INFINITY,
        gradient: None,
    };
    for m in methods {
        let mut a = m.start(&ctx(3), &first)?;
        let mut b = m.start(&ctx(3), &first)?;
        let (mut za, mut zb) = ([0.0; 3], [0.0; 3]);
        for _ in 0..5 {
            a.ask(&mut za)?;
            b.ask(&mut zb)?;
            assert_eq!(za, zb);
            assert!(za.iter().all(|v| v.abs() <= 1.0), "{}: {za:?}", m.name());
            a.tell(&Evaluation {
                z: &za,
                value: f64::INFINITY,
                gradient: None,
            })?;
            b.tell(&Evaluation {
                z: &zb,
                value: f64::INFINITY,
                gradient: None,
            })?;
        }
    }
    Ok(())
}

fn invalid_field(r: Result<(), OptimError>) -> Option<&'static str> {
    match r {
        Err(OptimError::InvalidConfig { field, .. }) => Some(field),
        _ => None,
    }
}

#[test]
fn invalid_configs_are_rejected() {
    let gd = GdConfig::default();
    let mom = MomentumConfig::default();
    let adam = AdamConfig::default();
    let rms = RmsPropConfig::default();
    let lbfgs = LbfgsConfig::default();
    let cases: Vec<(Result<(), OptimError>, &str)> = vec![
        (GdConfig { lr: 0.0 }.validate(), "lr"),
        (GdConfig { lr: f64::NAN }.validate(), "lr"),
        (GdConfig { lr: f64::INFINITY }.validate(), "lr"),
        (MomentumConfig { lr: -1.0, ..mom }.validate(), "lr"),
        (
            MomentumConfig {
                momentum: 1.0,
                ..mom
            }
            .validate(),
            "momentum",
        ),
        (
            MomentumConfig {
                momentum: -0.1,
                ..mom
            }
            .validate(),
            "momentum",
        ),
        (
            MomentumConfig {
                dampening: 1.0,
                ..mom
            }
            .validate(),
            "dampening",
        ),
        (
            MomentumConfig {
                nesterov: true,
                momentum: 0.0,
                ..mom
            }
            .validate(),
            "momentum",
        ),
        (
            MomentumConfig {
                nesterov: true,
                dampening: 0.1,
                ..mom
            }
            .validate(),
            "dampening",
        ),
        (AdamConfig { lr: 0.0, ..adam }.validate(), "lr"),
        (AdamConfig { beta1: 1.0, ..adam }.validate(), "beta1"),
        (
            AdamConfig {
                beta2: f64::NAN,
                ..adam
            }
            .validate(),
            "beta2",
        ),
        (AdamConfig { eps: 0.0, ..adam }.validate(), "eps"),
        (
            RmsPropConfig {
                lr: f64::NAN,
                ..rms
            }
            .validate(),
            "lr",
        ),
        (RmsPropConfig { alpha: 1.5, ..rms }.validate(), "alpha"),
        (RmsPropConfig { eps: -1e-8, ..rms }.validate(), "eps"),
        (
            RmsPropConfig {
                momentum: 1.0,
                ..rms
            }
            .validate(),
            "momentum",
        ),
        (LbfgsConfig { memory: 0, ..lbfgs }.validate(), "memory"),
        (LbfgsConfig { c1: 1.0, ..lbfgs }.validate(), "c1"),
        (LbfgsConfig { c1: 0.0, ..lbfgs }.validate(), "c1"),
        (
            LbfgsConfig {
                max_trials: 0,
                ..lbfgs
            }
            .validate(),
            "max_trials",
        ),
    ];
    for (k, (r, field)) in cases.into_iter().enumerate() {
        assert_eq!(invalid_field(r), Some(field), "case {k}");
    }
    for m in [&gd as &dyn Method, &mom, &adam, &rms, &lbfgs] {
        let z0 = [0.0; 2];
        let first = Evaluation {
            z: &z0,
            value: 0.0,
            gradient: Some(&z0),
        };
        assert!(m.start(&ctx(2), &first).is_ok(), "{}", m.name());
    }
    // `start` validates too, and the error names method, field, value and range.
    let z0 = [0.0; 2];
    let first = Evaluation {
        z: &z0,
        value: 0.0,
        gradient: Some(&z0),
    };
    let err = AdamConfig { beta1: 1.0, ..adam }
        .start(&ctx(2), &first)
        .err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("adam") && msg.contains("beta1") && msg.contains("[0, 1)"),
        "{msg}"
    );
}

#[test]
fn configs_deserialize_strictly_with_defaults() -> TestResult {
    let adam: AdamConfig = serde_json::from_str("{}")?;
    assert_eq!(adam, AdamConfig::default());
    let adam: AdamConfig = serde_json::from_str(r#"{"lr": 0.01}"#)?;
    assert_eq!(adam.name(), "adam_lr1e-2");
    assert!(serde_json::from_str::<AdamConfig>(r#"{"learning_rate": 0.01}"#).is_err());
    assert!(serde_json::from_str::<GdConfig>(r#"{"lr": 0.1, "momentum": 0.9}"#).is_err());
    let rms = RmsPropConfig {
        momentum: 0.5,
        centered: true,
        ..RmsPropConfig::default()
    };
    let back: RmsPropConfig = serde_json::from_str(&serde_json::to_string(&rms)?)?;
    assert_eq!(back, rms);
    let mom: MomentumConfig = serde_json::from_str(r#"{"nesterov": true}"#)?;
    assert_eq!(mom.name(), "nesterov_lr1e-3_m0.9");
    let lbfgs: LbfgsConfig = serde_json::from_str(r#"{"memory": 5}"#)?;
    assert_eq!(lbfgs.name(), "lbfgs_m5");
    Ok(())
}
