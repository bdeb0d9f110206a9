"""The algorithms that are one ctxprof command each, declared by their options.

Each class mirrors `ctxprof help COMMAND`: the same options, in the same
order, with the same defaults and help lines (tests/qgis/test_plugin.py
compares them with the program's help).
"""

from qgis.core import (QgsFeature, QgsFeatureSink, QgsField, QgsFields,
                       QgsProcessing, QgsProcessingParameterFeatureSink, QgsWkbTypes)
from qgis.PyQt.QtCore import QVariant

from .base import (CRS, ENUM, FILE, INT, NUMBER, OUT_FILE, OUT_FOLDER, STRING,
                   CommandAlgorithm, Option, kde_options)

GPKG_FILTER = 'GeoPackage (*.gpkg)'
COMMON_HELP = ('\n\nProgress comes from the engine (--progress); its messages go to the log; '
               'Cancel stops it, and it leaves no partial output.')

# The source kinds of `ctxprof help kinds` (the test checks this list
# against the program).
KINDS = ('ae_youth_worker', 'asb', 'association', 'bus_asb_form', 'bus_driver_incident',
         'camhs', 'crosswalk', 'disturbance', 'domestic_abuse', 'mash_referral',
         'missing_education', 'missing_school_day', 'police_referral', 'police_uk', 'records',
         'school_exclusion', 'sexual_health', 'travel_card_withdrawn')


def _profile_ini(name='PROFILE'):
    return Option(name, None, FILE, 'Profile file (.ini): the sources, contexts and settings',
                  optional=False, extension='ini')


def _profile_gpkg(label='Profile GeoPackage written by ctxprof run'):
    return Option('INPUT', None, FILE, label, optional=False, extension='gpkg')


class GazetteerAlgorithm(CommandAlgorithm):
    NAME = 'gazetteer'
    DISPLAY_NAME = 'Build gazetteer'
    GROUP, GROUP_ID = 'Places', 'places'
    SHORT = 'Build a gazetteer for geocoding'
    TAGS = ('gazetteer', 'geocode', 'postcodes', 'streets', 'places')
    HELP = ('Build a gazetteer GeoPackage for geocoding (ctxprof gazetteer build).\n\n'
            'From Code-Point Open or ONSPD postcodes (units without coordinates are skipped '
            'and counted), street lines with a name field (same-name segments grouped into '
            'streets) and named places (stations, shops, schools, parks, bus stops, from any '
            'point or polygon layer), recording each source\'s licence line. Layers are OGR '
            'sources, e.g. file.gpkg|layername=streets, comma-separated.' + COMMON_HELP)
    COMMAND = ('gazetteer', 'build')
    OPTIONS = (
        Option('OUTPUT', '-o', OUT_FILE, 'The gazetteer GeoPackage to write (build)',
               optional=False, file_filter=GPKG_FILTER),
        Option('POSTCODES', '--postcodes', STRING,
               'Code-Point Open or ONSPD-style CSVs, comma-separated'),
        Option('STREETS', '--streets', STRING,
               'Street lines (or easting/northing tables) with a name field'),
        Option('PLACES', '--places', STRING,
               'Named point or polygon layers: stations, shops, schools, parks, stops'),
        Option('LICENCE', '--licence', STRING,
               'Licence line recorded for the sources given on the command line'),
        Option('PROFILE', '--profile', FILE,
               "Take the sources from the profile's [gazetteer] section", extension='ini'),
        Option('CRS', '--crs', CRS,
               "CRS of the gazetteer (default EPSG:27700, or the profile's)"),
    )
    LOAD = 'gpkg'


class GeocodeAlgorithm(CommandAlgorithm):
    NAME = 'geocode'
    DISPLAY_NAME = 'Geocode records'
    GROUP, GROUP_ID = 'Places', 'places'
    SHORT = 'Place records from coordinates, postcodes, addresses and places'
    TAGS = ('geocode', 'postcode', 'address', 'gazetteer')
    HELP = ('Place records from coordinates, postcodes, addresses and places (ctxprof '
            'geocode).\n\nRuns the geocoding cascade of Run profile on any OGR-readable '
            'table: coordinates (swaps repaired), full postcode, address, bus stop, junction, '
            'named place or \'on or near\' street, postcode sector or district. Each record '
            'gets a geocode_method and a geocode_score (0-100); each failure a row in '
            'geocode_rejects with the reason.' + COMMON_HELP)
    COMMAND = ('geocode',)
    OPTIONS = (
        Option('INPUT', None, FILE, 'Table of records to place (any OGR-readable file)',
               optional=False),
        Option('OUTPUT', '-o', OUT_FILE,
               'Output GeoPackage: the placed records and the rejects', optional=False,
               file_filter=GPKG_FILTER),
        Option('GAZETTEER', '--gazetteer', FILE,
               "Gazetteer built with 'ctxprof gazetteer build'", optional=False,
               extension='gpkg'),
        Option('LAYER', '--layer', STRING, 'Layer of INPUT (default: the first)'),
        Option('ID', '--id', STRING, 'Record reference column'),
        Option('X', '--x', STRING, 'Easting column'),
        Option('Y', '--y', STRING, 'Northing column'),
        Option('SRS', '--srs', CRS, 'CRS of the x/y columns (default EPSG:27700)'),
        Option('LON', '--lon', STRING, 'Longitude column (WGS84)'),
        Option('LAT', '--lat', STRING, 'Latitude column (WGS84)'),
        Option('POSTCODE', '--postcode', STRING, 'Postcode column'),
        Option('ADDRESS', '--address', STRING, 'Address column'),
        Option('LOCATION', '--location', STRING,
               "Free-text location column ('on or near ...', 'outside ...')"),
        Option('STOP', '--stop', STRING, 'Bus stop name column'),
        Option('ROUTE', '--route', STRING, 'Bus route column (disambiguates stops)'),
        Option('STUDY_AREA', '--study-area', STRING,
               'Polygon layer: points outside it are rejected'),
        Option('CRS', '--crs', CRS, 'Output CRS (default EPSG:27700)'),
        Option('ENCODING', '--encoding', STRING,
               'Encoding of INPUT when not UTF-8 (e.g. CP1252)', advanced=True),
    )
    LOAD = 'gpkg'


class SnapAlgorithm(CommandAlgorithm):
    NAME = 'snap'
    DISPLAY_NAME = 'Snap incidents to contexts'
    GROUP, GROUP_ID = 'Contexts', 'contexts'
    SHORT = 'Link incidents to their contexts and profile each context'
    TAGS = ('snap', 'schools', 'parks', 'bus', 'catchments', 'areas', 'rates')
    HELP = ('Link incidents to their contexts and profile each context (ctxprof snap).\n\n'
            "Reads the incidents of a GeoPackage written by Run profile, links each to its "
            "school catchment, nearest school, park, bus route segment and area (the "
            "profile's [contexts]), and writes a GeoPackage with every earlier layer, the "
            "incidents with the links, the context layers with counts, people, rates and "
            "ranks, and the temporal table." + COMMON_HELP)
    COMMAND = ('snap',)
    OPTIONS = (
        _profile_gpkg(),
        Option('PROFILE', '--profile', FILE,
               'The profile whose [contexts] and [snap] sections to use (required)',
               optional=False, extension='ini'),
        Option('OUTPUT', '-o', OUT_FILE,
               'Output GeoPackage (default: replace the input, atomically)',
               file_filter=GPKG_FILTER),
        Option('PARK_BUFFER', '--park-buffer', NUMBER,
               'Distance in metres within which an incident counts for a park '
               '(default: [snap] park_buffer_m)', minimum=0),
        Option('BUS_MAX_DIST', '--bus-max-dist', NUMBER,
               'Largest distance in metres from an incident to its bus segment '
               '(default: [snap] bus_max_dist_m)', minimum=0),
        Option('REACH', '--reach', STRING,
               'Reach in metres of any context kind that links within one '
               '(parks, bus_segments, places_of_concern; default: [snap])'),
    )
    LOAD = 'gpkg'

    def output_path(self, parameters, context):
        # No OUTPUT: the input is replaced.
        return super().output_path(parameters, context) or \
            self.OPTIONS[0].arguments(self, parameters, context)[0]


class CorridorsAlgorithm(SnapAlgorithm):
    NAME = 'corridors'
    DISPLAY_NAME = 'School corridors'
    GROUP, GROUP_ID = 'Contexts', 'contexts'
    SHORT = 'Routes between schools as corridors, with incidents per km'
    TAGS = ('corridors', 'schools', 'routes', 'network', 'journeys')
    HELP = ('Routes between schools as corridors, with incidents per km (ctxprof '
            'corridors).\n\nBuilds a routing network from the profile\'s bus segments and '
            '[contexts] roads, pairs each school with its k nearest schools by network '
            'distance (or reads [corridors] pairs), and writes corridor_routes (shortest '
            'paths) and corridors (buffers) with the incidents counted by category, per km '
            'and in school-travel windows, ranked.' + COMMON_HELP)
    COMMAND = ('corridors',)
    OPTIONS = (
        _profile_gpkg(),
        Option('PROFILE', '--profile', FILE,
               'The profile whose [contexts] and [corridors] sections to use (required)',
               optional=False, extension='ini'),
        Option('OUTPUT', '-o', OUT_FILE,
               'Output GeoPackage (default: replace the input, atomically)',
               file_filter=GPKG_FILTER),
    )


class KdeAlgorithm(CommandAlgorithm):
    NAME = 'kde'
    DISPLAY_NAME = 'Kernel density'
    GROUP, GROUP_ID = 'Hotspots', 'hotspots'
    SHORT = 'Kernel density surface of a point layer'
    TAGS = ('kde', 'kernel density', 'heatmap', 'raster', 'hotspot')
    HELP = ('Kernel density surface of a point layer (ctxprof kde).\n\n'
            'Reads any OGR point layer (GeoPackage, shapefile, CSV with Longitude/Latitude or '
            'Easting/Northing columns, ...) and writes a Float32 density raster (NoData '
            '-9999). Default: each cell evaluated at its true centre, scaled kernels '
            'integrating to 1. QGIS compatible mode reproduces QGIS 3.22\'s Heatmap (Kernel '
            'Density Estimation) cell for cell. Without a radius the bandwidth is '
            '0.9*min(SD, sqrt(1/ln 2)*Dm)*n^-0.2.' + COMMON_HELP)
    COMMAND = ('kde',)
    OPTIONS = tuple(
        [Option('INPUT', None, FILE, 'Point layer (any OGR-readable file)', optional=False),
         Option('OUTPUT', '-o', OUT_FILE,
                'Output raster: a Float32 GeoTIFF, or a GeoPackage raster (.gpkg)',
                optional=False, file_filter='GeoTIFF (*.tif);;GeoPackage (*.gpkg)')]
        + kde_options()
        + [Option('RASTER_LAYER', '--raster-layer', STRING,
                  'Raster table name in a .gpkg output (hotspot_density)', advanced=True)])
    LOAD = 'gpkg'


class HotspotsAlgorithm(CommandAlgorithm):
    NAME = 'hotspots'
    DISPLAY_NAME = 'Hotspots'
    GROUP, GROUP_ID = 'Hotspots', 'hotspots'
    SHORT = 'Hotspot polygons with PAI, and Gi* cells, of a point layer'
    TAGS = ('hotspots', 'pai', 'gi*', 'getis-ord', 'kernel density')
    HELP = ('Hotspot polygons with PAI, and Gi* cells, of a point layer (ctxprof hotspots).\n\n'
            'Writes hotspot_density (raster), hotspots (the densest cells covering the given '
            'share of the study area, polygonised, with n_incidents, share_incidents, '
            'share_area and PAI) and hotspot_gistar (Getis-Ord Gi* of grid counts: z, p and a '
            'bin -3..3 after Benjamini-Hochberg FDR correction) into one GeoPackage.'
            + COMMON_HELP)
    COMMAND = ('hotspots',)
    OPTIONS = tuple(
        [Option('INPUT', None, FILE, 'Point layer (any OGR-readable file)', optional=False),
         Option('OUTPUT', '-o', OUT_FILE,
                'Output GeoPackage (hotspot_density, hotspots, hotspot_gistar)',
                optional=False, file_filter=GPKG_FILTER),
         Option('SHARE', '--share', NUMBER, 'Share of the study area the hotspots cover '
                '(default 0.05)', default=0.05, optional=False, minimum=0),
         Option('GISTAR_CELL', '--gistar-cell', NUMBER, 'Gi* grid cell size (default 100)',
                default=100, optional=False, minimum=0),
         Option('GISTAR_BAND', '--gistar-band', NUMBER, 'Gi* distance band (default 300)',
                default=300, optional=False, minimum=0)]
        + kde_options(
            RADIUS='Kernel radius in map units; default: the ArcGIS rule',
            WHERE='OGR SQL filter on the input',
            DECAY='Triangular kernel decay (0)',
            SCALED='Density (kernels integrate to 1) instead of raw sums',
            EXTENT='Grid extent',
            QGIS_COMPAT="QGIS 3.22's heatmap surface")
        + [Option('STUDY_AREA', '--study-area', STRING,
                  "Study area polygons (file.gpkg|layername=x); default: the points' "
                  'bounding box')])
    LOAD = 'gpkg'


class EvaluateAlgorithm(CommandAlgorithm):
    NAME = 'evaluate'
    DISPLAY_NAME = 'Evaluate hotspots'
    GROUP, GROUP_ID = 'Hotspots', 'hotspots'
    SHORT = 'Score hotspots of one period on a later one (PAI, RRI)'
    TAGS = ('evaluate', 'pai', 'rri', 'prediction', 'hotspots')
    HELP = ('Score hotspots of one period on a later one (ctxprof evaluate).\n\n'
            'Builds the density surface of the training points, takes the densest cells '
            'covering each share of the study area, and scores them on the test points: '
            'PAI = (n/N)/(a/A) (Chainey, Tompson & Uhlig 2008) and RRI = (n2/n1)/(N2/N1). '
            'Radius "auto-pai" picks the radius maximising PAI at 5% on the validation '
            'points. The scores are written to the output table, one row per share.'
            + COMMON_HELP)
    COMMAND = ('evaluate',)
    OPTIONS = tuple(
        [Option('TRAIN', '--train', STRING,
                'Points of the earlier period: comma-separated files or globs', optional=False),
         Option('TEST', '--test', STRING,
                'Points of the later period the hotspots are scored on', optional=False),
         Option('VALIDATE', '--validate', STRING,
                'With --radius auto-pai: the period the radius is chosen on'),
         Option('COVERAGE', '--coverage', STRING, 'Area shares in percent (default 1,2,5,10)',
                default='1,2,5,10', optional=False),
         Option('RADII', '--radii', STRING,
                'auto-pai candidates (default 100,150,200,250,300,400,500,600,800,1000)',
                advanced=True)]
        + [o if o.name != 'RADIUS' else Option(
            'RADIUS', '--radius', STRING,
            'Kernel radius; auto-pai: the one maximising PAI at 5% on --validate')
           for o in kde_options(
               WHERE='OGR SQL filter on every input, e.g. "\\"Crime type\\" = \'Robbery\'"',
               DECAY='Triangular kernel decay (0)',
               SCALED='Density instead of raw sums (same hotspots)',
               EXTENT='Grid extent',
               CRS="Projected CRS (default: the layer's; EPSG:27700 for lon/lat)",
               QGIS_COMPAT="Hotspots from QGIS 3.22's heatmap surface")]
        + [Option('STUDY_AREA', '--study-area', STRING,
                  "Study area polygons; default: the training points' bounding box")])
    TABLE = 'SCORES'
    FIELDS = (('coverage', QVariant.Double), ('area_m2', QVariant.Double),
              ('n_train', QVariant.LongLong), ('n_test', QVariant.LongLong),
              ('pai_train', QVariant.Double), ('pai_test', QVariant.Double),
              ('rri', QVariant.Double))

    def initAlgorithm(self, config=None):  # noqa: N802
        super().initAlgorithm(config)
        scores = QgsProcessingParameterFeatureSink(
            self.TABLE, self.tr('Scores (PAI and RRI per area share)'),
            QgsProcessing.TypeVector, None, True)
        scores.setHelp(self.tr('A table with one row per area share: coverage, area_m2, '
                               'n_train, n_test, pai_train, pai_test, rri'))
        self.addParameter(scores)

    def extra_results(self, summary, parameters, context, feedback):
        fields = QgsFields()
        for name, kind in self.FIELDS:
            fields.append(QgsField(name, kind))
        sink, dest = self.parameterAsSink(parameters, self.TABLE, context, fields,
                                          QgsWkbTypes.NoGeometry)
        if sink is None:
            return {}
        for row in summary.get('results', []):
            f = QgsFeature(fields)
            f.setAttributes([row.get(name) for name, _ in self.FIELDS])
            sink.addFeature(f, QgsFeatureSink.FastInsert)
            feedback.pushInfo(self.tr('{:g}% of the area: PAI {:.2f} (training {:.2f}), '
                                      'RRI {:.2f}').format(row.get('coverage', 0),
                                                           row.get('pai_test', 0),
                                                           row.get('pai_train', 0),
                                                           row.get('rri', 0)))
        return {self.TABLE: dest}


class _PeopleAlgorithm(CommandAlgorithm):
    GROUP, GROUP_ID = 'People', 'people'
    OPTIONS = (
        _profile_ini(),
        Option('OUTPUT', '-o', OUT_FILE,
               "Output GeoPackage (default: the profile's output)", file_filter=GPKG_FILTER),
    )
    LOAD = 'gpkg'


class PeopleAlgorithm(_PeopleAlgorithm):
    NAME = 'people'
    DISPLAY_NAME = 'Overlap and peer groups'
    SHORT = 'Overlap across the silos, peer groups and the contexts they share'
    TAGS = ('people', 'overlap', 'peer groups', 'network', 'silos')
    HELP = ('Overlap across the silos, peer groups and the contexts they share (ctxprof '
            'people).\n\nLoads and places the profile\'s incidents, links id-only people to '
            'names through the crosswalk sources, and writes overlap (people per category, '
            'pairwise, UpSet), possible_matches, peer_groups, peer_group_members and '
            'peer_group_contexts with the incidents. Only pids are written.' + COMMON_HELP)
    COMMAND = ('people',)


class OverlapAlgorithm(_PeopleAlgorithm):
    NAME = 'overlap'
    DISPLAY_NAME = 'Overlap across the silos'
    SHORT = 'How many different young people are on the CSE, SYV, HSB, TRA and online lists'
    TAGS = ('overlap', 'silos', 'people', 'upset')
    HELP = ('Overlap across the definitional silos (ctxprof overlap).\n\nDistinct young '
            'people per category, on two lists, and in every combination (UpSet), from the '
            'profile\'s incidents and crosswalks, written to the overlap table. Only pids '
            'are used.' + COMMON_HELP)
    COMMAND = ('overlap',)


class PeersAlgorithm(_PeopleAlgorithm):
    NAME = 'peers'
    DISPLAY_NAME = 'Peer groups'
    SHORT = 'Peer groups of associated young people and the contexts they share'
    TAGS = ('peer groups', 'network', 'association', 'louvain')
    HELP = ('Peer groups and the contexts they share (ctxprof peers).\n\nAssociation '
            'records as a graph: components and Louvain communities, each member\'s degree '
            'and betweenness, and the schools, parks and routes the group\'s incidents touch '
            '(peer_groups, peer_group_members, peer_group_contexts). Only pids are written.'
            + COMMON_HELP)
    COMMAND = ('peers',)


class ExportShpAlgorithm(CommandAlgorithm):
    NAME = 'exportshp'
    DISPLAY_NAME = 'Export shapefiles'
    GROUP, GROUP_ID = 'Export and share', 'export'
    SHORT = 'Shapefiles of a profile for police analysts'
    TAGS = ('export', 'shapefile', 'shp', 'police')
    HELP = ('Export a profile GeoPackage as shapefiles (ctxprof export shp).\n\n'
            'One shapefile per layer (.shp, .shx, .dbf, .prj, .cpg), field names of at most '
            '10 characters with the mapping beside each layer (<layer>.fields.csv). The '
            'files are identifiable: they are created readable by their owner only.'
            + COMMON_HELP)
    COMMAND = ('export', 'shp')
    OPTIONS = (
        _profile_gpkg(),
        Option('OUTPUT', '-o', OUT_FOLDER, 'Folder to write the shapefiles into (created when missing)',
               optional=False),
        Option('LAYERS', '--layers', STRING, 'Layers to export (default: every vector layer '
               "and table but run_metadata and ctxprof's internal tables)"),
    )
    LOAD = 'folder'


class ShareAlgorithm(CommandAlgorithm):
    NAME = 'share'
    DISPLAY_NAME = 'Share package'
    GROUP, GROUP_ID = 'Export and share', 'export'
    SHORT = 'Redacted, aggregated profile for partner agencies'
    TAGS = ('share', 'disclosure control', 'suppression', 'redaction', 'partners')
    HELP = ('A redacted share package of a profile (ctxprof share).\n\n'
            'Only aggregate layers (areas, catchments, parks, segments, corridors, hotspots, '
            'temporal): counts 1..k-1 suppressed, optional rounding, secondary suppression so '
            'that no suppressed value can be recovered from totals; hotspots and corridors '
            'with fewer than k incidents dropped; no points, no pid, no members, no free text; '
            'a disclosure_log table saying what was suppressed and why.' + COMMON_HELP)
    COMMAND = ('share',)
    OPTIONS = (
        _profile_gpkg(),
        Option('OUTPUT', '-o', OUT_FILE, 'The share package to write (required)',
               optional=False, file_filter=GPKG_FILTER),
        Option('MIN_COUNT', '--min-count', INT,
               'Suppress counts from 1 to K-1; drop hotspots and corridors with fewer than K '
               'incidents (default 5; 2 to 1000)', default=5, optional=False, minimum=2,
               maximum=1000),
        Option('ROUND', '--round', INT,
               'Round published counts to the nearest R (default 0: off; 0 to 1000)', default=0,
               minimum=0, maximum=1000),
        Option('LAYERS', '--layers', STRING,
               'Comma-separated layers to write (default: every shareable layer the profile '
               'has: every context layer (see \'ctxprof help contexts\'), corridors, '
               'corridor_routes, hotspots, hotspot_gistar, temporal)'),
    )
    LOAD = 'gpkg'


class DataRequestAlgorithm(CommandAlgorithm):
    NAME = 'datarequest'
    DISPLAY_NAME = 'Data-request sheet'
    GROUP, GROUP_ID = 'Export and share', 'export'
    SHORT = 'A "why profile" data-request sheet for a partner agency'
    TAGS = ('data request', 'information sharing', 'partners', 'sources')
    HELP = ('Write a data-request sheet for a partner agency (ctxprof datarequest).\n\n'
            'The purpose of the profile, each field asked for and why, the sharing level '
            'needed (identifiable, pseudonymised, aggregate), how it will be stored and for '
            'how long, for one source kind (ctxprof help kinds). Markdown.' + COMMON_HELP)
    COMMAND = ('datarequest',)
    OPTIONS = (
        Option('KIND', None, ENUM, 'Source kind (ctxprof help kinds)', choices=KINDS,
               default='police_referral', optional=False),
        Option('OUTPUT', '-o', OUT_FILE,
               'Write the sheet to FILE.md (default: stdout); with --all, the folder for one '
               'KIND.md per kind', optional=False, file_filter='Markdown (*.md)'),
        Option('RETENTION', '--retention', STRING,
               'How long the data and profiles are kept (default: 12 months)'),
    )
    # One sheet per run here; every kind at once is the command line's --all.
    CLI_ONLY = ('--all',)
