// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title PocvalTally: the pocval module's rules as one contract (docs/protocol.md, "EVM binding").
/// @notice Participants register and commit Merkle roots of their artifacts; validators of the
/// stake snapshot vote in batches; the tally is kept as running sums so that tally() is a cheap
/// view. Stages are counted in block numbers: a stage starts at every S >= 1 with
/// S % stageLength == stageOffset. Governance sets params (with the exact k_crit table, which
/// Solidity cannot compute) and stake snapshots; each takes effect from the next block, and a
/// stage uses the versions in effect at its block S.
contract PocvalTally {
    // Enums numbered as in proto/pocval/v1/types.proto.
    uint8 internal constant VERDICT_HONEST = 1;
    uint8 internal constant VERDICT_CHEATER = 2;
    uint8 internal constant REASON_STAT_TEST = 1;
    uint8 internal constant REASON_MAX = 5;
    uint256 internal constant ONE_E18 = 1e18;
    uint256 internal constant MAX_TEXT = 512;
    uint256 internal constant TWO_64 = 1 << 64;
    // Bounds of the availability params (core/params.ts); 0 means the default (8 and 30,000 ms).
    uint32 internal constant MAX_PROOF_REQUEST_BUDGET = 1000;
    uint32 internal constant MIN_PROOF_RESPONSE_MS = 100;
    uint32 internal constant MAX_PROOF_RESPONSE_MS = 3_600_000;

    struct Vote {
        address participant;
        uint8 verdict;
        uint8 reason;
        uint32 checked;
        uint32 mismatches;
        /// The vote's p-value as 18-decimal fixed point (1e18 = 1).
        uint256 pValueE18;
        bytes32 evidenceHash;
    }

    /// Chain params (docs/protocol.md, default parameters); decimals as 18-decimal fixed point.
    struct Params {
        string model;
        uint32 seqLen;
        uint32 kDim;
        uint64 distThresholdE18;
        uint64 fpRateE18;
        uint64 alphaE18;
        uint32 sampleSize;
        uint64 quorumNum;
        uint64 quorumDen;
        uint32 validationSlots;
        /// docs/protocol.md "Availability": proof requests per validator, participant and stage (0 reads 8).
        uint32 proofRequestBudget;
        /// Each proof request's deadline and the longest wait between tries, in ms (0 reads 30,000).
        uint32 proofResponseMs;
        /// Version 3 early acceptance (docs/protocol.md): on (the module's acceptance_rate set) or off.
        bool earlyAcceptance;
        /// The acceptance rate lambda, 0 <= lambda < fpRate, as 18-decimal fixed point; 0 when off.
        uint64 acceptanceRateE18;
    }

    struct ParamsVersion {
        uint64 effectiveFrom;
        Params params;
        /// kCrit[n-1] = k_crit(n) for n = 1 .. sampleSize; n + 1 means "never convicts".
        uint32[] kCrit;
    }

    struct ValidatorSet {
        uint64 effectiveFrom;
        uint128 total;
        /// Ascending addresses (the order of the slot draw).
        address[] validators;
        /// cumulative[i] = stake of validators[0..i].
        uint128[] cumulative;
    }

    struct Member {
        uint32 indexPlusOne;
        uint128 stake;
    }

    struct Registration {
        bytes pocPublicKey;
        string proofApiUrl;
        uint64 registeredHeight;
    }

    /// The participant's commitment in a stage and its vote counters (one storage slot).
    struct Commitment {
        uint64 count;
        uint64 height;
        uint32 cheaterVotes;
        uint32 honestVotes;
        uint32 cheaterSlots;
        uint32 honestSlots;
    }

    struct StakeSums {
        uint128 cheaterStake;
        uint128 honestStake;
    }

    struct StageConfig {
        uint32 paramsVersion;
        uint32 setVersion;
    }

    // ---- errors (every rejected call names what is wrong) ----
    error NotGovernance(address caller, address governance);
    error InvalidTiming(string field);
    error InvalidParams(string field);
    error InvalidStakes(string field, uint256 index);
    error InvalidRegistration(string field);
    error NotAStage(uint64 stageHeight);
    error NotConfigured(uint64 stageHeight);
    error OutsideCommitWindow(uint64 stageHeight, uint256 blockNumber, uint64 first, uint64 last);
    error OutsideValidationWindow(uint64 stageHeight, uint256 blockNumber, uint64 first, uint64 last);
    error NotRegistered(address participant);
    error EmptyCommit();
    error OneCommitPerBlock(uint64 stageHeight, address participant, uint256 blockNumber);
    error CountNotIncreasing(uint64 stageHeight, address participant, uint64 previous, uint64 count);
    error EmptyVotes();
    error NotBonded(uint64 stageHeight, address validator);
    error InvalidVote(uint256 index, string field);
    error SelfVote(uint256 index, address participant);
    error NoCommitment(uint256 index, address participant);
    error DuplicateVote(uint256 index, address participant);
    error InconsistentStatTest(uint256 index, uint32 n, uint32 kCrit, uint32 checked, uint32 mismatches, uint8 verdict);
    error NoSlot(uint256 index, address participant);
    error SlotStakeTooLarge(uint64 stageHeight, uint256 stake);
    error SamplingHashUnavailable(uint64 stageHeight, uint64 samplingHeight);

    // ---- events (one for every change of state) ----
    event GovernanceTransferred(address indexed previous, address indexed next);
    event ParamsSet(uint32 indexed version, uint64 effectiveFrom, uint32 sampleSize, uint32 validationSlots, uint64 quorumNum, uint64 quorumDen);
    event StakesSet(uint32 indexed version, uint64 effectiveFrom, uint256 validators, uint256 totalStake);
    event Registered(address indexed participant, bytes pocPublicKey, string proofApiUrl, bool updated);
    event StageConfigured(uint64 indexed stageHeight, uint32 paramsVersion, uint32 setVersion);
    event Committed(uint64 indexed stageHeight, address indexed participant, uint64 count, bytes32 rootHash);
    event Voted(uint64 indexed stageHeight, address indexed validator, address indexed participant, uint8 verdict, uint8 reason);
    /// docs/protocol.md, decided tallies: no vote still possible can change the participant's verdict.
    event TallyDecided(uint64 indexed stageHeight, address indexed participant, bool convicted, uint64 decidedHeight);
    /// The rest of a vote, so that every vote can be re-derived and audited from the logs.
    event VoteEvidence(
        uint64 indexed stageHeight,
        address indexed validator,
        address indexed participant,
        uint32 checked,
        uint32 mismatches,
        uint256 pValueE18,
        bytes32 evidenceHash
    );

    uint64 public immutable stageLength;
    uint64 public immutable stageOffset;
    uint64 public immutable commitWindow;
    uint64 public immutable validationWindow;

    address public governance;

    ParamsVersion[] internal paramsVersions;
    ValidatorSet[] internal validatorSets;
    mapping(uint256 => mapping(address => Member)) internal members;
    mapping(address => Registration) internal registrations;
    mapping(uint64 => StageConfig) internal stages;
    mapping(uint64 => mapping(address => Commitment)) internal commitments;
    mapping(uint64 => mapping(address => bytes32)) internal roots;
    mapping(uint64 => mapping(address => StakeSums)) internal sums;
    /// The block at which each tally was decided (0: not yet, or only the window's end decides it).
    mapping(uint64 => mapping(address => uint64)) internal decidedAt;
    /// Ballots: two bits per validator index (0 none, 1 honest, 2 cheater), 128 validators a word.
    mapping(uint64 => mapping(address => mapping(uint256 => uint256))) internal ballots;

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender, governance);
        _;
    }

    /// @param governance_ the address that sets params and stake snapshots
    /// @param timing [stageLength, stageOffset, commitWindow, validationWindow] in blocks
    constructor(address governance_, uint64[4] memory timing) {
        if (governance_ == address(0)) revert InvalidTiming("governance");
        if (timing[2] < 1) revert InvalidTiming("commitWindow");
        if (timing[3] < 1) revert InvalidTiming("validationWindow");
        // The sampling block's hash must stay readable (EVM keeps 256) for the whole validation window.
        if (timing[3] > 256) revert InvalidTiming("validationWindow");
        if (timing[0] < uint256(timing[2]) + 1 + timing[3]) revert InvalidTiming("stageLength");
        if (timing[1] >= timing[0]) revert InvalidTiming("stageOffset");
        stageLength = timing[0];
        stageOffset = timing[1];
        commitWindow = timing[2];
        validationWindow = timing[3];
        governance = governance_;
        emit GovernanceTransferred(address(0), governance_);
    }

    // ---- governance ----

    function transferGovernance(address next) external onlyGovernance {
        if (next == address(0)) revert InvalidParams("governance");
        emit GovernanceTransferred(governance, next);
        governance = next;
    }

    /// Sets params and the exact k_crit table (kCrit[n-1] for n = 1 .. sampleSize), effective next block.
    function setParams(Params calldata p, uint32[] calldata kCrit) external onlyGovernance {
        if (bytes(p.model).length == 0 || bytes(p.model).length > MAX_TEXT) revert InvalidParams("model");
        if (p.seqLen < 1) revert InvalidParams("seqLen");
        if (p.kDim < 1) revert InvalidParams("kDim");
        if (p.distThresholdE18 == 0) revert InvalidParams("distThresholdE18");
        if (p.fpRateE18 == 0 || p.fpRateE18 >= ONE_E18) revert InvalidParams("fpRateE18");
        if (p.alphaE18 == 0 || p.alphaE18 >= ONE_E18) revert InvalidParams("alphaE18");
        if (p.sampleSize < 1) revert InvalidParams("sampleSize");
        if (p.quorumDen == 0) revert InvalidParams("quorumDen");
        if (p.quorumNum > p.quorumDen) revert InvalidParams("quorumNum");
        if (p.proofRequestBudget > MAX_PROOF_REQUEST_BUDGET) revert InvalidParams("proofRequestBudget");
        if (p.proofResponseMs != 0) {
            if (p.proofResponseMs < MIN_PROOF_RESPONSE_MS || p.proofResponseMs > MAX_PROOF_RESPONSE_MS) {
                revert InvalidParams("proofResponseMs");
            }
        }
        // One spelling of "off"; on, the line lies below the honest rate.
        if (p.earlyAcceptance ? p.acceptanceRateE18 >= p.fpRateE18 : p.acceptanceRateE18 != 0) {
            revert InvalidParams("acceptanceRateE18");
        }
        if (kCrit.length != p.sampleSize) revert InvalidParams("kCrit.length");
        uint32 previous = 1;
        for (uint256 i = 0; i < kCrit.length; i++) {
            // 1 <= k_crit(n) <= n + 1, and k_crit grows with n (the binomial tail does).
            if (kCrit[i] < previous || kCrit[i] > i + 2) revert InvalidParams("kCrit");
            previous = kCrit[i];
        }
        ParamsVersion storage v = paramsVersions.push();
        v.effectiveFrom = uint64(block.number + 1);
        v.params = p;
        v.kCrit = kCrit;
        emit ParamsSet(
            uint32(paramsVersions.length - 1),
            v.effectiveFrom,
            p.sampleSize,
            p.validationSlots,
            p.quorumNum,
            p.quorumDen
        );
    }

    /// Sets a stake snapshot (validators in ascending address order), effective next block.
    function setStakes(address[] calldata validators, uint128[] calldata stakes) external onlyGovernance {
        if (validators.length != stakes.length) revert InvalidStakes("stakes.length", stakes.length);
        if (validators.length == 0) revert InvalidStakes("validators.length", 0);
        uint256 version = validatorSets.length;
        ValidatorSet storage set = validatorSets.push();
        set.effectiveFrom = uint64(block.number + 1);
        uint256 total = 0;
        address previous = address(0);
        for (uint256 i = 0; i < validators.length; i++) {
            address validator = validators[i];
            if (validator <= previous) revert InvalidStakes("validators (ascending, distinct, nonzero)", i);
            previous = validator;
            total += stakes[i];
            if (total > type(uint128).max) revert InvalidStakes("stakes (total beyond 2^128)", i);
            set.validators.push(validator);
            set.cumulative.push(uint128(total));
            members[version][validator] = Member(uint32(i + 1), stakes[i]);
        }
        set.total = uint128(total);
        emit StakesSet(uint32(version), set.effectiveFrom, validators.length, total);
    }

    // ---- participants ----

    function register(bytes calldata pocPublicKey, string calldata proofApiUrl) external {
        if (pocPublicKey.length == 0 || pocPublicKey.length > MAX_TEXT) revert InvalidRegistration("pocPublicKey");
        if (bytes(proofApiUrl).length == 0 || bytes(proofApiUrl).length > MAX_TEXT) {
            revert InvalidRegistration("proofApiUrl");
        }
        Registration storage r = registrations[msg.sender];
        bool updated = r.registeredHeight != 0;
        if (!updated) r.registeredHeight = uint64(block.number);
        r.pocPublicKey = pocPublicKey;
        r.proofApiUrl = proofApiUrl;
        emit Registered(msg.sender, pocPublicKey, proofApiUrl, updated);
    }

    function commit(uint64 stageHeight, uint64 count, bytes32 rootHash) external {
        if (registrations[msg.sender].registeredHeight == 0) revert NotRegistered(msg.sender);
        if (count < 1) revert EmptyCommit();
        if (!isStageStart(stageHeight)) revert NotAStage(stageHeight);
        uint64 last = stageHeight + commitWindow - 1;
        if (block.number < stageHeight || block.number > last) {
            revert OutsideCommitWindow(stageHeight, block.number, stageHeight, last);
        }
        Commitment storage c = commitments[stageHeight][msg.sender];
        if (c.count != 0) {
            if (c.height == block.number) revert OneCommitPerBlock(stageHeight, msg.sender, block.number);
            if (count <= c.count) revert CountNotIncreasing(stageHeight, msg.sender, c.count, count);
        } else {
            configureStage(stageHeight);
        }
        c.count = count;
        c.height = uint64(block.number);
        roots[stageHeight][msg.sender] = rootHash;
        emit Committed(stageHeight, msg.sender, count, rootHash);
    }

    // ---- validators ----

    function submitVotes(uint64 stageHeight, Vote[] calldata votes) external {
        if (votes.length == 0) revert EmptyVotes();
        if (!isStageStart(stageHeight)) revert NotAStage(stageHeight);
        uint64 first = stageHeight + commitWindow + 1;
        uint64 last = stageHeight + commitWindow + validationWindow;
        if (block.number < first || block.number > last) {
            revert OutsideValidationWindow(stageHeight, block.number, first, last);
        }
        StageConfig memory config = stages[stageHeight];
        // A stage without any commitment has no configuration; its votes could only be NoCommitment.
        if (config.setVersion == 0) revert NoCommitment(0, votes[0].participant);
        uint256 setIndex = config.setVersion - 1;
        Member memory member = members[setIndex][msg.sender];
        if (member.indexPlusOne == 0) revert NotBonded(stageHeight, msg.sender);
        ParamsVersion storage pv = paramsVersions[config.paramsVersion - 1];
        uint32 sampleSize = pv.params.sampleSize;
        uint32 slots = pv.params.validationSlots;
        uint256 position = member.indexPlusOne - 1;
        uint256 word = position >> 7;
        uint256 shift = (position & 127) << 1;
        for (uint256 i = 0; i < votes.length; i++) {
            Vote calldata vote = votes[i];
            address participant = vote.participant;
            uint8 verdict = vote.verdict;
            if (verdict != VERDICT_HONEST && verdict != VERDICT_CHEATER) revert InvalidVote(i, "verdict");
            if (vote.reason > REASON_MAX) revert InvalidVote(i, "reason");
            if (vote.mismatches > vote.checked) revert InvalidVote(i, "mismatches");
            if (vote.pValueE18 > ONE_E18) revert InvalidVote(i, "pValueE18");
            if (participant == msg.sender) revert SelfVote(i, participant);
            Commitment storage c = commitments[stageHeight][participant];
            uint64 count = c.count;
            if (count == 0) revert NoCommitment(i, participant);
            mapping(uint256 => uint256) storage ballot = ballots[stageHeight][participant];
            uint256 bits = ballot[word];
            if ((bits >> shift) & 3 != 0) revert DuplicateVote(i, participant);
            if (vote.reason == REASON_STAT_TEST) checkStatTest(pv, i, vote, count, sampleSize);
            uint32 held = 1;
            if (slots > 0) {
                held = slotsHeld(stageHeight, setIndex, participant, msg.sender, slots);
                if (held == 0) revert NoSlot(i, participant);
            }
            ballot[word] = bits | (uint256(verdict) << shift);
            StakeSums storage s = sums[stageHeight][participant];
            if (verdict == VERDICT_CHEATER) {
                s.cheaterStake += member.stake;
                c.cheaterVotes += 1;
                c.cheaterSlots += held;
            } else {
                s.honestStake += member.stake;
                c.honestVotes += 1;
                c.honestSlots += held;
            }
            if (decidedAt[stageHeight][participant] == 0) decideIfSettled(stageHeight, participant, setIndex, pv.params, c, s);
            emit Voted(stageHeight, msg.sender, participant, verdict, vote.reason);
            emit VoteEvidence(
                stageHeight,
                msg.sender,
                participant,
                vote.checked,
                vote.mismatches,
                vote.pValueE18,
                vote.evidenceHash
            );
        }
    }

    // ---- views ----

    /// The tally of docs/protocol.md from the running sums (no loop); isFinal once the validation
    /// window has passed (block.number beyond its last height).
    function tally(uint64 stageHeight, address participant)
        external
        view
        returns (
            uint64 count,
            uint256 cheaterStake,
            uint256 honestStake,
            uint256 totalStake,
            bool convicted,
            bool isFinal
        )
    {
        Commitment memory c = commitments[stageHeight][participant];
        StakeSums memory s = sums[stageHeight][participant];
        count = c.count;
        cheaterStake = s.cheaterStake;
        honestStake = s.honestStake;
        isFinal = isStageStart(stageHeight) && block.number > uint256(stageHeight) + commitWindow + validationWindow;
        StageConfig memory config = stages[stageHeight];
        if (config.setVersion == 0) return (count, cheaterStake, honestStake, totalStake, false, isFinal);
        totalStake = validatorSets[config.setVersion - 1].total;
        Params storage p = paramsVersions[config.paramsVersion - 1].params;
        if (p.validationSlots > 0) {
            convicted = uint256(c.cheaterSlots) * p.quorumDen > uint256(p.validationSlots) * p.quorumNum;
        } else {
            convicted = cheaterStake * p.quorumDen > totalStake * p.quorumNum;
        }
    }

    /// The height at which the tally was decided (docs/protocol.md, decided tallies): 0 while a vote
    /// still possible could change its verdict; the window's last height when only its end decided it.
    function decidedHeight(uint64 stageHeight, address participant) external view returns (uint64) {
        uint64 h = decidedAt[stageHeight][participant];
        if (h != 0 || commitments[stageHeight][participant].count == 0) return h;
        uint64 last = stageHeight + commitWindow + validationWindow;
        return isStageStart(stageHeight) && block.number > last ? last : 0;
    }

    /// The vote and slot counters of a tally (version 2: slots; 0 slots means every validator checks).
    function tallyCounts(uint64 stageHeight, address participant)
        external
        view
        returns (uint32 cheaterVotes, uint32 honestVotes, uint32 slots, uint32 cheaterSlots, uint32 honestSlots)
    {
        Commitment memory c = commitments[stageHeight][participant];
        StageConfig memory config = stages[stageHeight];
        if (config.paramsVersion != 0) slots = paramsVersions[config.paramsVersion - 1].params.validationSlots;
        return (c.cheaterVotes, c.honestVotes, slots, c.cheaterSlots, c.honestSlots);
    }

    function commitmentOf(uint64 stageHeight, address participant)
        external
        view
        returns (uint64 count, bytes32 rootHash, uint64 height)
    {
        Commitment memory c = commitments[stageHeight][participant];
        return (c.count, roots[stageHeight][participant], c.height);
    }

    /// The verdict a validator cast on a participant in a stage (0: none).
    function voteOf(uint64 stageHeight, address validator, address participant) external view returns (uint8) {
        StageConfig memory config = stages[stageHeight];
        if (config.setVersion == 0) return 0;
        Member memory member = members[config.setVersion - 1][validator];
        if (member.indexPlusOne == 0) return 0;
        uint256 position = member.indexPlusOne - 1;
        return uint8((ballots[stageHeight][participant][position >> 7] >> ((position & 127) << 1)) & 3);
    }

    function participantOf(address participant)
        external
        view
        returns (bytes memory pocPublicKey, string memory proofApiUrl, uint64 registeredHeight)
    {
        Registration storage r = registrations[participant];
        return (r.pocPublicKey, r.proofApiUrl, r.registeredHeight);
    }

    function isStageStart(uint64 height) public view returns (bool) {
        return height >= 1 && height % stageLength == stageOffset;
    }

    /// The versions a stage uses: fixed at its first commit, else those in effect at its block S (0: none).
    function stageVersions(uint64 stageHeight) public view returns (uint32 paramsVersion, uint32 setVersion) {
        StageConfig memory config = stages[stageHeight];
        if (config.setVersion != 0) return (config.paramsVersion, config.setVersion);
        return (versionAt(true, stageHeight), versionAt(false, stageHeight));
    }

    function paramsCount() external view returns (uint256) {
        return paramsVersions.length;
    }

    /// Params version v (1-based) with its k_crit table and the block it takes effect.
    function paramsAt(uint32 version)
        external
        view
        returns (Params memory params, uint32[] memory kCrit, uint64 effectiveFrom)
    {
        ParamsVersion storage pv = paramsVersions[version - 1];
        return (pv.params, pv.kCrit, pv.effectiveFrom);
    }

    function stakesCount() external view returns (uint256) {
        return validatorSets.length;
    }

    /// Stake snapshot v (1-based): validators in ascending order, their stakes, the total.
    function stakesAt(uint32 version)
        external
        view
        returns (address[] memory validators, uint128[] memory stakes, uint256 totalStake, uint64 effectiveFrom)
    {
        ValidatorSet storage set = validatorSets[version - 1];
        validators = set.validators;
        stakes = new uint128[](validators.length);
        uint128 previous = 0;
        for (uint256 i = 0; i < validators.length; i++) {
            stakes[i] = set.cumulative[i] - previous;
            previous = set.cumulative[i];
        }
        return (validators, stakes, set.total, set.effectiveFrom);
    }

    /// How many validation slots of a participant a validator holds in a stage (0 when slots are off).
    function slotsOf(uint64 stageHeight, address validator, address participant) external view returns (uint32) {
        (uint32 paramsVersion, uint32 setVersion) = stageVersions(stageHeight);
        if (paramsVersion == 0 || setVersion == 0) return 0;
        uint32 slots = paramsVersions[paramsVersion - 1].params.validationSlots;
        if (slots == 0 || validator == participant) return 0;
        return slotsHeld(stageHeight, setVersion - 1, participant, validator, slots);
    }

    // ---- internals ----

    function versionAt(bool ofParams, uint64 stageHeight) internal view returns (uint32) {
        uint256 n = ofParams ? paramsVersions.length : validatorSets.length;
        for (uint256 i = n; i > 0; i--) {
            uint64 from = ofParams ? paramsVersions[i - 1].effectiveFrom : validatorSets[i - 1].effectiveFrom;
            if (from <= stageHeight) return uint32(i);
        }
        return 0;
    }

    function configureStage(uint64 stageHeight) internal {
        if (stages[stageHeight].setVersion != 0) return;
        // Versions set from now on take effect after this block, so those in effect at S are final.
        uint32 paramsVersion = versionAt(true, stageHeight);
        uint32 setVersion = versionAt(false, stageHeight);
        if (paramsVersion == 0 || setVersion == 0) revert NotConfigured(stageHeight);
        stages[stageHeight] = StageConfig(paramsVersion, setVersion);
        emit StageConfigured(stageHeight, paramsVersion, setVersion);
    }

    /// The consistency of a STAT_TEST vote with its verdict against k_crit(min(sampleSize, count)):
    /// version 2's rule, and with early acceptance on (version 3) an HONEST vote at checked < n with
    /// mismatches <= floor(acceptanceRate x checked) (mismatches <= checked is checked before).
    function checkStatTest(ParamsVersion storage pv, uint256 i, Vote calldata vote, uint64 count, uint32 sampleSize)
        internal
        view
    {
        uint32 n = count < sampleSize ? uint32(count) : sampleSize;
        uint32 k = pv.kCrit[n - 1];
        bool consistent = vote.checked <= n;
        if (consistent) {
            if (vote.verdict == VERDICT_CHEATER) {
                consistent = vote.mismatches >= k;
            } else {
                consistent = vote.mismatches < k
                    && (uint256(vote.mismatches) + (n - vote.checked) < k || acceptsEarly(pv.params, vote, n));
            }
        }
        if (!consistent) revert InconsistentStatTest(i, n, k, vote.checked, vote.mismatches, vote.verdict);
    }

    /// Early acceptance: on, 0 < checked < n and mismatches <= a(checked) = floor(lambda x checked).
    function acceptsEarly(Params storage p, Vote calldata vote, uint32 n) internal view returns (bool) {
        if (!p.earlyAcceptance || vote.checked == 0 || vote.checked >= n) return false;
        // An integer is at most floor(x) iff it is at most x: compare without dividing.
        return uint256(vote.mismatches) * ONE_E18 <= uint256(vote.checked) * p.acceptanceRateE18;
    }

    /// Slots of participant held by validator: m draws by stake over the snapshot without the
    /// participant, seeded by the sampling block's hash (docs/protocol.md, validation slots).
    function slotsHeld(uint64 stageHeight, uint256 setIndex, address participant, address validator, uint32 m)
        internal
        view
        returns (uint32 held)
    {
        ValidatorSet storage set = validatorSets[setIndex];
        Member memory self = members[setIndex][participant];
        uint256 selfIndex = self.indexPlusOne == 0 ? type(uint256).max : self.indexPlusOne - 1;
        uint256 total = uint256(set.total) - self.stake;
        if (total >= TWO_64) revert SlotStakeTooLarge(stageHeight, total);
        if (total == 0) return 0;
        Member memory me = members[setIndex][validator];
        if (me.indexPlusOne == 0) return 0;
        uint256 myIndex = me.indexPlusOne - 1;
        // The validator holds draws u with cum'(myIndex - 1) <= u < cum'(myIndex), cum' without the participant.
        uint256 high = adjusted(set, myIndex, selfIndex, self.stake);
        uint256 low = myIndex == 0 ? 0 : adjusted(set, myIndex - 1, selfIndex, self.stake);
        if (high == low) return 0;
        uint64 samplingHeight = stageHeight + commitWindow;
        bytes32 samplingHash = blockhash(samplingHeight);
        if (samplingHash == bytes32(0)) revert SamplingHashUnavailable(stageHeight, samplingHeight);
        bytes32 seed = sha256(
            abi.encodePacked("pocval/slots/v1", le64(stageHeight), samplingHash, lowerHex(participant))
        );
        uint256 limit = (TWO_64 / total) * total;
        bytes32 block_;
        uint64 j = 0;
        uint256 offset = 32;
        for (uint32 drawn = 0; drawn < m; ) {
            if (offset == 32) {
                block_ = sha256(abi.encodePacked(seed, le64(j)));
                j++;
                offset = 0;
            }
            uint256 value = uint64(bytes8(le64(uint64(bytes8(block_ << (offset * 8))))));
            offset += 8;
            if (value >= limit) continue;
            uint256 u = value % total;
            if (u >= low && u < high) held++;
            drawn++;
        }
    }

    /// Records the first block at which no vote still possible can change the verdict (docs/protocol.md,
    /// decided tallies): cheater units above the quorum, or cheater units plus every unit not yet voted
    /// (all but the honest and the participant's own stake) not above it. Units: stake, or slots.
    function decideIfSettled(
        uint64 stageHeight,
        address participant,
        uint256 setIndex,
        Params storage p,
        Commitment storage c,
        StakeSums storage s
    ) internal {
        uint256 total;
        uint256 cheater;
        uint256 honest;
        uint256 uncountable;
        if (p.validationSlots > 0) {
            total = p.validationSlots;
            cheater = c.cheaterSlots;
            honest = c.honestSlots;
        } else {
            total = validatorSets[setIndex].total;
            cheater = s.cheaterStake;
            honest = s.honestStake;
            uncountable = members[setIndex][participant].stake;
        }
        uint256 threshold = total * p.quorumNum;
        bool convicted = cheater * p.quorumDen > threshold;
        if (!convicted && (total - honest - uncountable) * p.quorumDen > threshold) return;
        decidedAt[stageHeight][participant] = uint64(block.number);
        emit TallyDecided(stageHeight, participant, convicted, uint64(block.number));
    }

    function adjusted(ValidatorSet storage set, uint256 index, uint256 selfIndex, uint256 selfStake)
        internal
        view
        returns (uint256)
    {
        uint256 cumulative = set.cumulative[index];
        return index >= selfIndex ? cumulative - selfStake : cumulative;
    }

    /// u64 little endian: byte-reverses x (as 8 bytes).
    function le64(uint64 x) internal pure returns (bytes8) {
        x = ((x & 0x00FF00FF00FF00FF) << 8) | ((x & 0xFF00FF00FF00FF00) >> 8);
        x = ((x & 0x0000FFFF0000FFFF) << 16) | ((x & 0xFFFF0000FFFF0000) >> 16);
        x = (x << 32) | (x >> 32);
        return bytes8(x);
    }

    /// The lower-case 0x-prefixed hex string of an address, as the slot seed spells it.
    function lowerHex(address a) internal pure returns (bytes memory out) {
        bytes16 digits = "0123456789abcdef";
        out = new bytes(42);
        out[0] = "0";
        out[1] = "x";
        uint160 v = uint160(a);
        for (uint256 i = 41; i > 1; i--) {
            out[i] = digits[v & 15];
            v >>= 4;
        }
    }
}
